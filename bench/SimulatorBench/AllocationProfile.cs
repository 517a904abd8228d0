using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace CallCluster.SimulatorBench;

/// <summary>
/// --alloc-profile: samples the runtime's GC AllocationTick events (one per ~100 KB allocated) in-process and prints the
/// types that allocate most. Cheap enough to leave on for a run; it shows where per-request garbage comes from.
/// </summary>
public sealed class AllocationProfile : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is not "GCAllocationTick_V4" || e.Payload is null || e.PayloadNames is null) return;
        var type = e.PayloadNames.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
        var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 0;
        _bytesByType.AddOrUpdate(type, amount, (_, v) => v + amount);
    }

    public void Print(int top)
    {
        var total = Math.Max(1, _bytesByType.Values.Sum());
        Console.WriteLine("allocations (sampled, top types):");
        foreach (var (type, bytes) in _bytesByType.OrderByDescending(kv => kv.Value).Take(top))
            Console.WriteLine($"  {100.0 * bytes / total,5:F1}%  {type}");
    }
}
