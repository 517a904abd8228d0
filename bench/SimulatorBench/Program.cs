using System.Net;
using System.Text;
using System.Text.Json;
using CallCluster.Simulator;

namespace CallCluster.SimulatorBench;

/// <summary>
/// dotnet run -c Release --project bench/SimulatorBench -- [--mi HOST:PORT] [--mix version|dlg_list|click-to-dial] ...
/// Fires MI requests over real UDP from N client sockets with a bounded number in flight, counts the events a subscribed
/// listener receives, prints requests/s, events/s, p50/p99 latency and errors, then one JSON line.
/// </summary>
public static class Program
{
    private static readonly string[] Events = ["E_DLG_STATE_CHANGED", "E_CALL_TRANSFER", "E_CALL_HOLD"];

    public static async Task<int> Main(string[] args)
    {
        BenchOptions o;
        try { o = BenchOptions.Parse(args); }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + "\n" + BenchOptions.Usage);
            return 2;
        }

        // In-process: phones answer at once and ended dialogs leave the table at once, so the run measures the MI/EVI path.
        OpenSipsSimulator? sim = o.Target is null
            ? await OpenSipsSimulator.StartAsync(new SimulatorOptions
            {
                AnswerDelay = TimeSpan.FromMilliseconds(1),
                InDialogDelay = TimeSpan.FromMilliseconds(1),
                EndedDialogRetention = TimeSpan.Zero,
            })
            : null;
        var target = o.Target ?? sim!.MiEndPoint;
        var targetText = o.Target is null ? $"in-process {target}" : target.ToString();
        var clients = Enumerable.Range(0, o.Clients).Select(_ => new MiLoadClient(target)).ToArray();
        using var events = new EventCounter();
        try
        {
            foreach (var e in Events) await ControlAsync(clients[0], "event_subscribe", w => { w.WriteString("event", e); w.WriteString("socket", events.SocketText); w.WriteNumber("expire", 3600); });
            if (o.Mix == Mix.DlgList)
            {
                for (var i = 0; i < o.Dialogs; i++)
                    await ControlAsync(clients[0], "sim_call", w => { w.WriteString("from", $"sip:x{i}@127.0.0.1"); w.WriteString("to", $"sip:y{i}@127.0.0.1"); });
                await Task.Delay(500); // let them be answered: the list then shows confirmed dialogs
            }

            var work = new Workload(o, clients, events);
            Console.WriteLine($"SimulatorBench: mix={o.Mix} target={targetText} in-flight={o.InFlight} clients={o.Clients} requests<={o.Requests} duration<={o.Duration.TotalSeconds}s warmup={o.Warmup.TotalSeconds}s");
            if (o.Warmup > TimeSpan.Zero) await work.RunAsync(o.Warmup, long.MaxValue);
            await SettleAsync(events);

            using var allocations = o.AllocProfile ? new AllocationProfile() : null;
            var events0 = events.Count;
            var gc0 = GcFigures.Now();
            var started = System.Diagnostics.Stopwatch.StartNew();
            var lanes = await work.RunAsync(o.Duration, o.Requests);
            var seconds = started.Elapsed.TotalSeconds;
            var inWindow = events.Count - events0;
            var gc = GcFigures.Now() - gc0;
            await SettleAsync(events);
            var flows = lanes.Sum(l => l.Flows);
            var s = Summary.From(o, targetText, lanes, seconds, inWindow, o.Mix == Mix.ClickToDial ? flows * 9 : 0);

            Console.WriteLine($"requests   {s.Requests} in {s.Seconds:F2} s = {s.RequestsPerSecond:F0}/s   errors {s.Errors} (timeouts {s.Timeouts})");
            Console.WriteLine($"events     {s.Events} received = {s.EventsPerSecond:F0}/s" + (o.Mix == Mix.ClickToDial ? $"   (flows {flows}, expected {flows * 9}, after settling {events.Count - events0})" : ""));
            Console.WriteLine($"latency    p50 {s.P50Ms:F3} ms   p99 {s.P99Ms:F3} ms   max {s.MaxMs:F1} ms");
            Console.WriteLine($"unmatched  {clients.Sum(c => c.Unmatched)} replies");
            // The machine may be shared (other builds, tests): the load average says how much the figures can be trusted.
            if (File.Exists("/proc/loadavg")) Console.WriteLine("loadavg    " + (await File.ReadAllTextAsync("/proc/loadavg")).Trim() + $" on {Environment.ProcessorCount} cores");
            Console.WriteLine($"gc         {gc.AllocatedBytes / Math.Max(1, s.Requests)} bytes allocated per request (whole process, client included), " +
                $"collections gen0 {gc.Gen0} gen1 {gc.Gen1} gen2 {gc.Gen2}, pause {gc.Pause.TotalMilliseconds:F0} ms ({100 * gc.Pause.TotalSeconds / seconds:F1}%)");
            allocations?.Print(25);
            if (sim is not null) Console.WriteLine("sim_stats  " + await ControlAsync(clients[0], "sim_stats", null));
            Console.WriteLine(JsonSerializer.Serialize(s, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            foreach (var e in Events) await ControlAsync(clients[0], "event_subscribe", w => { w.WriteString("event", e); w.WriteString("socket", events.SocketText); w.WriteNumber("expire", 0); });
            return 0;
        }
        catch (TimeoutException ex)
        {
            await Console.Error.WriteLineAsync("no answer from " + targetText + ": " + ex.Message);
            return 1;
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            if (sim is not null) await sim.DisposeAsync();
        }
    }

    /// <summary>A set-up or tear-down request; its reply text (errors included) is returned, a lost reply throws.</summary>
    private static async Task<string> ControlAsync(MiLoadClient client, string method, Action<Utf8JsonWriter>? parameters)
    {
        var id = client.NextId();
        var reply = await client.CallAsync(id, new Requests().Build(method, id, parameters).ToArray(), keepBody: true, TimeSpan.FromSeconds(5));
        return reply.Body ?? "";
    }

    /// <summary>Waits (at most 2 s) until no event arrived for 200 ms, so the next phase starts clean.</summary>
    private static async Task SettleAsync(EventCounter events)
    {
        var last = events.Count;
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(200);
            if (events.Count == last) return;
            last = events.Count;
        }
    }
}

/// <summary>Process-wide GC figures, to see per-request allocation and collection cost of a run.</summary>
public readonly record struct GcFigures(long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan Pause)
{
    public static GcFigures Now() => new(GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    public static GcFigures operator -(GcFigures a, GcFigures b) =>
        new(a.AllocatedBytes - b.AllocatedBytes, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Pause - b.Pause);
}
