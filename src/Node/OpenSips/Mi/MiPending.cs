using Akka.Actor;

namespace CallCluster.Node.OpenSips;

/// <summary>One request awaiting its final reply on one socket (owned by that socket's actor only).</summary>
internal sealed class MiPending(int id, long sequence, IActorRef replyTo, MiCall call, TimeSpan timeout, long deadline, bool isAsyncUac,
    int retriesLeft = 0, int attempt = 1, int[]? earlierIds = null, System.Diagnostics.Activity? span = null)
{
    /// <summary>The request's MI span (<see cref="MiTracing"/>), kept over its retries; null when not traced.</summary>
    public System.Diagnostics.Activity? Span { get; } = span;

    /// <summary>Ids of this call's earlier attempts: their late replies answer this same call (and no other).</summary>
    public int[] EarlierIds { get; } = earlierIds ?? [];

    /// <summary>Sends left after this one should it time out (idempotent calls only).</summary>
    public int RetriesLeft { get; } = retriesLeft;

    /// <summary>1 for the first send; each retry is a new request with a new id.</summary>
    public int Attempt { get; } = attempt;

    public int Id { get; } = id;

    /// <summary>Send order, to find the oldest request a plain-text (id-less) reply belongs to.</summary>
    public long Sequence { get; } = sequence;

    public IActorRef ReplyTo { get; } = replyTo;
    public MiCall Call { get; } = call;
    public TimeSpan Timeout { get; } = timeout;

    /// <summary>Stopwatch timestamp after which the request has timed out.</summary>
    public long Deadline { get; } = deadline;

    /// <summary>t_uac_dlg: replies when the SIP transaction ends, may send provisional replies first,
    /// and is never the target of a plain-text reply (those come from the synchronous path).</summary>
    public bool IsAsyncUac { get; } = isAsyncUac;
}

/// <summary>Recognizes the asynchronous tm UAC command and the INVITE case that needs the long timeout.</summary>
internal static class MiMethods
{
    public static bool IsAsyncUac(string method) =>
        method is "t_uac_dlg" or "tm:uac_dlg" or "dlg_send_sequential" or "dialog:send_sequential";

    public static bool IsUacDlg(string method) => method is "t_uac_dlg" or "tm:uac_dlg";

    /// <summary>Safe to send twice: reads, and dlg_end_dlg (a second one finds the dialog gone: 404, which the caller
    /// reads knowing <see cref="MiOutcome.Attempts"/>). Never t_uac_dlg, call_transfer, call_hold/unhold: a second
    /// INVITE, REFER or re-INVITE is a second call, transfer or hold.</summary>
    public static bool IsIdempotent(string method) =>
        method is "dlg_list" or "dialog:list" or "subscribers_list" or "evi:subscribers" or "events_list" or "evi:list"
            or "version" or "core:version" or "dlg_end_dlg" or "dialog:end_dlg";

    public static bool IsInvite(MiCall call)
    {
        if (!IsUacDlg(call.Method)) return false;
        foreach (var (name, value) in call.Params)
            if (name == "method" && value is string s && s.Equals("INVITE", StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }
}

/// <summary>Request ids: 1..2^31-1 (OpenSIPS echoes ids as a C int), wrapping, never reusing an id still pending.</summary>
internal static class MiIds
{
    public static int Next<T>(ref int next, Dictionary<int, T> pending)
    {
        // Bounded: pending holds far fewer than 2^31-1 ids (max-in-flight), so a free id is always found.
        while (true)
        {
            var id = next;
            next = id == int.MaxValue ? 1 : id + 1;
            if (!pending.ContainsKey(id)) return id;
        }
    }
}

/// <summary>Internal protocol between <see cref="MiPoolActor"/> and its <see cref="MiSocketActor"/>s.</summary>
internal sealed record MiSocketCompleted(int Index);

internal sealed record MiSocketReset(int Index);

internal sealed record MiSocketStats(int Index, long Sent, long Replied, long TimedOut, long Late, long Malformed);

internal sealed record MiDatagram(byte[] Bytes);

internal sealed record MiSweep
{
    public static readonly MiSweep Instance = new();
    private MiSweep() { }
}
