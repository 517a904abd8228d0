using System.Diagnostics;

namespace CallCluster.Cluster.Tests.Support;

/// <summary>Assertions on what the client saw of each command.</summary>
public static class Checks
{
    /// <summary>seq 1..n exactly once each, in arrival order, the last one Ended and nothing after it.</summary>
    public static void NoGapNoDuplicate(string cmdId, IReadOnlyList<Note> notes, int afterSeq = 0)
    {
        var seqs = notes.Select(n => n.Seq).ToList();
        var expected = Enumerable.Range(afterSeq + 1, seqs.Count).ToList();
        Assert.True(seqs.SequenceEqual(expected),
            $"{cmdId}: seq {string.Join(",", seqs)} (codes {string.Join(",", notes.Select(n => n.Code))}), expected {afterSeq + 1}..{afterSeq + seqs.Count} with no gap and no duplicate");
        Assert.True(notes.Count > 0 && notes[^1].IsEnded, $"{cmdId}: not Ended: {string.Join(",", notes.Select(n => n.Code))}");
        Assert.Single(notes, n => n.IsEnded);
    }

    /// <summary>seq 1..n exactly once each so far (the command may still be running).</summary>
    public static void NoGapNoDuplicateSoFar(string cmdId, IReadOnlyList<Note> notes)
    {
        var seqs = notes.Select(n => n.Seq).ToList();
        Assert.True(seqs.SequenceEqual(Enumerable.Range(1, seqs.Count)), $"{cmdId}: seq {string.Join(",", seqs)}");
    }

    /// <summary>Ended ok, or failed with a reason.</summary>
    public static void EndedOkOrFailedWithReason(string cmdId, IReadOnlyList<Note> notes)
    {
        var ended = notes.Last(n => n.IsEnded);
        Assert.True(ended.Status == "ok" || (ended.Status == "failed" && ended.ErrorCode is not null && !string.IsNullOrWhiteSpace(ended.ErrorMessage)),
            $"{cmdId}: Ended {ended.Status} code {ended.ErrorCode} message '{ended.ErrorMessage}'");
    }

    public static string Describe(CommandTracker tracker, IEnumerable<string> cmdIds) =>
        string.Join("\n", cmdIds.Select(id => $"{id}: {string.Join(",", tracker.Notes(id).Select(n => $"{n.Seq}:{n.Code}"))}"));

    public static double Seconds(TimeSpan t) => Math.Round(t.TotalSeconds, 2);

    public static TimeSpan Since(Stopwatch clock, TimeSpan mark) => clock.Elapsed - mark;
}
