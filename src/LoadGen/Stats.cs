using System.Diagnostics;

namespace CallCluster.LoadGen;

/// <summary>Live counters for the once-a-second progress line (the only state shared between connection loops).</summary>
public sealed class Progress
{
    public long Sent;
    public long Accepted;
    public long Ended;
    public long Errors;
    public long Completed;

    public void IncSent() => Interlocked.Increment(ref Sent);
    public void IncAccepted() => Interlocked.Increment(ref Accepted);
    public void IncEnded() => Interlocked.Increment(ref Ended);
    public void IncErrors() => Interlocked.Increment(ref Errors);
    public void IncCompleted() => Interlocked.Increment(ref Completed);
}

/// <summary>Per-connection statistics, owned by one loop; merged after all loops finished.</summary>
public sealed class ConnectionStats
{
    private const int MaxKinds = 64;

    public long OpsStarted;
    public long OpsCompleted;
    public long OpsOk;
    public long Sent;
    public long Accepted;
    public long Rejected;
    public long EndedOk;
    public long EndedFailed;
    public long Events;
    public long NeverEnded;
    public long NeverReplied;
    /// <summary>Commands sent at or after the end of warm-up, and those of them that completed.</summary>
    public long MeasuredSent;
    public long MeasuredCompleted;
    public long MeasuredOpsCompleted;
    public long LastMeasuredCompletionTicks;
    public long SkippedNoCalls;
    public readonly LatencyHistogram Accept = new();
    public readonly LatencyHistogram Flow = new();
    public readonly Dictionary<string, long> Errors = new(StringComparer.Ordinal);
    public readonly Dictionary<string, long> WrongPairing = new(StringComparer.Ordinal);

    public long WrongPairingTotal
    {
        get
        {
            long t = 0;
            foreach (var v in WrongPairing.Values) t += v;
            return t;
        }
    }

    public long ErrorTotal
    {
        get
        {
            long t = 0;
            foreach (var v in Errors.Values) t += v;
            return t;
        }
    }

    public void AddError(string kind, long n = 1) => Add(Errors, kind, n);
    public void AddWrong(string kind, long n = 1) => Add(WrongPairing, kind, n);

    private static void Add(Dictionary<string, long> d, string kind, long n)
    {
        if (!d.ContainsKey(kind) && d.Count >= MaxKinds) kind = "other";
        d[kind] = d.TryGetValue(kind, out long v) ? v + n : n;
    }

    public void Merge(ConnectionStats o)
    {
        OpsStarted += o.OpsStarted;
        OpsCompleted += o.OpsCompleted;
        OpsOk += o.OpsOk;
        Sent += o.Sent;
        Accepted += o.Accepted;
        Rejected += o.Rejected;
        EndedOk += o.EndedOk;
        EndedFailed += o.EndedFailed;
        Events += o.Events;
        NeverEnded += o.NeverEnded;
        NeverReplied += o.NeverReplied;
        MeasuredSent += o.MeasuredSent;
        MeasuredCompleted += o.MeasuredCompleted;
        MeasuredOpsCompleted += o.MeasuredOpsCompleted;
        SkippedNoCalls += o.SkippedNoCalls;
        LastMeasuredCompletionTicks = Math.Max(LastMeasuredCompletionTicks, o.LastMeasuredCompletionTicks);
        Accept.Merge(o.Accept);
        Flow.Merge(o.Flow);
        foreach (var kv in o.Errors) AddError(kv.Key, kv.Value);
        foreach (var kv in o.WrongPairing) AddWrong(kv.Key, kv.Value);
    }

    public static long TicksToMicros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;
}
