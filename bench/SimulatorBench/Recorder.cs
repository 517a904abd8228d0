using System.Diagnostics;

namespace CallCluster.SimulatorBench;

/// <summary>Latencies and outcomes of one lane (one async loop): no sharing, merged at the end.</summary>
public sealed class LaneRecord
{
    public List<int> LatencyMicros { get; } = new(4096);
    public long Requests;
    public long Errors;
    public long Timeouts;
    public long Flows;

    public void Add(long startTimestamp, bool ok)
    {
        LatencyMicros.Add((int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(startTimestamp).Ticks / 10));
        Requests++;
        if (!ok) Errors++;
    }
}

/// <summary>The merged figures of a run, printed as text and as one JSON line.</summary>
public sealed record Summary(
    string Mix, string Target, int InFlight, int Clients, double Seconds, long Requests, long Errors, long Timeouts, long Flows,
    long Events, long ExpectedEvents, double RequestsPerSecond, double EventsPerSecond, double P50Ms, double P99Ms, double MaxMs)
{
    public static Summary From(BenchOptions o, string target, IReadOnlyList<LaneRecord> lanes, double seconds, long events, long expectedEvents)
    {
        var all = lanes.SelectMany(l => l.LatencyMicros).ToArray();
        Array.Sort(all);
        double Pct(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] / 1000.0;
        var requests = lanes.Sum(l => l.Requests);
        return new Summary(o.Mix.ToString(), target, o.InFlight, o.Clients, Math.Round(seconds, 3), requests, lanes.Sum(l => l.Errors),
            lanes.Sum(l => l.Timeouts), lanes.Sum(l => l.Flows), events, expectedEvents,
            Math.Round(requests / seconds), Math.Round(events / seconds), Pct(0.50), Pct(0.99), all.Length == 0 ? 0 : all[^1] / 1000.0);
    }
}
