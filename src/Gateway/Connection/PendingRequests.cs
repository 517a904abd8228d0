namespace CallCluster.Gateway.Connection;

/// <summary>Requests sent to the command region and not answered yet, by command and by deadline. The command entity
/// answers in the order it was asked, so an answer belongs to the oldest open request of its command (of its kind,
/// where the answer names one). Owned by one connection actor and called on its thread only.</summary>
internal sealed class PendingRequests
{
    private readonly Dictionary<string, List<PendingRequest>> _byCommand = new(StringComparer.Ordinal);
    private readonly Queue<PendingRequest> _byDeadline = new();

    public void Add(PendingRequest request)
    {
        if (!_byCommand.TryGetValue(request.CmdId, out var list))
        {
            list = new List<PendingRequest>(1);
            _byCommand.Add(request.CmdId, list);
        }

        list.Add(request);
        _byDeadline.Enqueue(request);
    }

    /// <summary>The oldest open request of the command, of <paramref name="kind"/> when given; null for a late answer
    /// to a request that already timed out.</summary>
    public PendingRequest? Take(string cmdId, PendingKind? kind)
    {
        if (!_byCommand.TryGetValue(cmdId, out var list))
        {
            return null;
        }

        var index = 0;
        if (kind is { } k)
        {
            // No lambda: this runs for every reply.
            while (index < list.Count && list[index].Kind != k) index++;
            if (index == list.Count) return null;
        }

        var request = list[index];
        list.RemoveAt(index);
        if (list.Count == 0)
        {
            _byCommand.Remove(cmdId);
        }

        return request;
    }

    /// <summary>Half-way to its deadline, an unanswered request that can be sent again is due once (a shard being
    /// handed off drops what it receives; starting or subscribing the same cmd_id twice is harmless). Marks them
    /// resent.</summary>
    public IReadOnlyList<PendingRequest> DueForResend(long now, long halfMs)
    {
        List<PendingRequest>? due = null;
        foreach (var requests in _byCommand.Values)
        {
            foreach (var request in requests)
            {
                if (!request.Done && !request.Resent && request.Message is not null && request.DeadlineMs - now <= halfMs)
                {
                    request.Resent = true;
                    (due ??= []).Add(request);
                }
            }
        }

        return due ?? (IReadOnlyList<PendingRequest>)[];
    }

    /// <summary>Removes and returns the open requests whose deadline has passed, oldest first.</summary>
    public IReadOnlyList<PendingRequest> TakeExpired(long now)
    {
        List<PendingRequest>? expired = null;
        while (_byDeadline.TryPeek(out var request) && (request.Done || request.DeadlineMs <= now))
        {
            _byDeadline.Dequeue();
            if (request.Done)
            {
                continue;
            }

            if (_byCommand.TryGetValue(request.CmdId, out var list))
            {
                list.Remove(request);
                if (list.Count == 0) _byCommand.Remove(request.CmdId);
            }

            (expired ??= []).Add(request);
        }

        return expired ?? (IReadOnlyList<PendingRequest>)[];
    }

    /// <summary>Empties the table (the connection has stopped) and returns the requests still unanswered.</summary>
    public IReadOnlyList<PendingRequest> TakeAllOpen()
    {
        var open = _byDeadline.Where(r => !r.Done).ToList();
        _byCommand.Clear();
        _byDeadline.Clear();
        return open;
    }
}
