namespace CallCluster.Node.OpenSips;

/// <summary>Synchronous MI requests of one socket that timed out and whose answer may still come (owned by that socket's
/// actor only). OpenSIPS's plain-text errors (<c>400 Parse_error</c>) carry no id and the synchronous path answers in
/// order, so such a text belongs to the oldest unanswered request, timed-out ones included: this list keeps those,
/// so that a late plain-text answer is recognised as late instead of failing a newer request.</summary>
internal sealed class MiExpired
{
    /// <summary>Bounded: the oldest entries are forgotten first (a forgotten one can only make a late text be blamed
    /// on the oldest pending request, the behaviour without this list).</summary>
    private const int Capacity = 4096;

    private readonly List<(int Id, long Sequence, long Until)> _entries = [];

    public int Count => _entries.Count;

    public void Add(int id, long sequence, long until)
    {
        if (_entries.Count == Capacity) _entries.RemoveAt(0);
        _entries.Add((id, sequence, until));
    }

    /// <summary>A late JSON answer came for <paramref name="id"/>: it no longer waits for one.</summary>
    public void Answered(int id)
    {
        var i = _entries.FindIndex(e => e.Id == id);
        if (i >= 0) _entries.RemoveAt(i);
    }

    /// <summary>True (and that entry consumed) when a timed-out request older than <paramref name="sequence"/> is still
    /// owed an answer at <paramref name="now"/>.</summary>
    public bool ClaimOlderThan(long sequence, long now)
    {
        var best = -1;
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (e.Until > now && e.Sequence < sequence && (best < 0 || e.Sequence < _entries[best].Sequence)) best = i;
        }
        if (best < 0) return false;
        _entries.RemoveAt(best);
        return true;
    }

    public void Prune(long now) => _entries.RemoveAll(e => e.Until <= now);
}
