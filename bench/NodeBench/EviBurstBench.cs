using System.Diagnostics;
using System.Net.Sockets;
using CallCluster.Node.OpenSips;

namespace CallCluster.NodeBench;

/// <summary><c>evi --burst N</c>: datagrams sent as fast as one thread can, with no window, so the listener's
/// socket buffer can overflow the way it did during call-creation bursts. Prints the kernel's drop counter for
/// the listener's socket (/proc/net/udp) beside received/routed per second.
/// Burst 1: N E_CALL_HOLD events cycling over 2,000 live dialogs (ingestion only, nothing persisted).
/// Burst 2: a call-creation burst: E_DLG_STATE_CHANGED 1→2, 2→3, 3→4 for --calls new Call-IDs (new entities,
/// recovery reads and journal writes compete with the listener for the two cores).</summary>
public static class EviBurstBench
{
    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        var maxPhase = o.MaxSeconds ?? TimeSpan.FromSeconds(20);
        await using var node = await NodeFixture.StartAsync(withEvi: true, o.Hocon);
        var evi = node.Evi!;
        var drops = new UdpDropReader(evi.LocalEndPoint);
        var evi0 = EviSettings.FromConfig(node.System.Settings.Config);
        Program.Log($"one-node cluster up; EVI listener on {evi.LocalEndPoint}, kernel receive buffer {evi.ReceiveBufferBytes} bytes " +
            $"(configured {evi0.ReceiveBufferBytes}; queue {evi0.QueueSize}, parse x{evi0.ParseParallelism} by {evi0.ParseBatch}); " +
            $"kernel drop counter {(drops.Read() is null ? "unavailable" : "available")}");
        var run = Guid.NewGuid().ToString("N")[..6];
        var sockets = Enumerable.Range(0, o.Senders).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ToArray();
        var result = new Dictionary<string, object?>
        {
            ["mode"] = "burst", ["hocon_override"] = o.Hocon, ["burst"] = o.Burst, ["calls"] = o.Calls, ["senders"] = o.Senders,
            ["loadavg_start"] = Program.LoadAvg(),
        };
        try
        {
            foreach (var s in sockets) s.Connect(evi.LocalEndPoint);

            // Warm-up with the window (nothing lost): JIT, journal tables, 2,000 live dialogs for burst 1.
            var warmIds = Enumerable.Range(0, 2000).Select(i => $"bw{run}{i}").ToArray();
            var warm = warmIds.Select((c, i) => EviBench.StateDatagram(c, i, 3, 4)).ToList();
            await EviBench.SendAsync(sockets, warm, evi, 2000, DateTime.UtcNow + maxPhase);
            // Dialogs keep their state in memory now (no journal row per transition): wait for the routing instead.
            for (var i = 0; i < 2000 && evi.Stats.Routed < warm.Count; i++) await Task.Delay(10);
            Program.Log($"warm-up done: {evi.Stats.Routed} routed");

            var holds = warmIds.SelectMany(c => new[] { EviBench.HoldDatagram(c, "caller", "hold"), EviBench.HoldDatagram(c, "caller", "unhold") }).ToList();
            result["hold_burst"] = await BurstAsync("hold burst", sockets, holds, o.Burst, evi, drops, maxPhase);

            var creation = new List<byte[]>(o.Calls * 3);
            for (var i = 0; i < o.Calls; i++)
            {
                var c = $"bn{run}{i:x6}";
                creation.Add(EviBench.StateDatagram(c, i, 1, 2));
                creation.Add(EviBench.StateDatagram(c, i, 2, 3));
                creation.Add(EviBench.StateDatagram(c, i, 3, 4));
            }
            result["creation_burst"] = await BurstAsync("call-creation burst", sockets, creation, creation.Count, evi, drops, maxPhase);
            var final = evi.Stats;
            result["listener_totals"] = new Dictionary<string, object?>
            {
                ["received"] = final.Received, ["routed"] = final.Routed, ["malformed"] = final.Malformed,
                ["kernel_drops"] = drops.Read(), ["kernel_drops_listener_stats"] = final.KernelDrops,
                ["queue_full"] = final.QueueFull, ["receive_buffer_bytes"] = evi.ReceiveBufferBytes,
            };
            return result;
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    /// <summary>Sends <paramref name="count"/> datagrams (cycling the list) with no window from one thread, then waits
    /// (bounded) until the listener has received or the kernel has dropped all of them, or no progress for 2 s.</summary>
    private static async Task<Dictionary<string, object?>> BurstAsync(string name, Socket[] sockets, List<byte[]> datagrams,
        long count, EviListener evi, UdpDropReader drops, TimeSpan maxPhase)
    {
        var stats0 = evi.Stats;
        var drops0 = drops.Read() ?? 0;
        var sw = Stopwatch.StartNew();
        var deadline = DateTime.UtcNow + maxPhase;
        var sent = await EviBench.SendAsync(sockets, datagrams, evi, int.MaxValue, deadline, count);
        var sendSeconds = sw.Elapsed.TotalSeconds;

        long received = 0, routed = 0, dropped = 0;
        var lastReceived = sendSeconds;
        var lastRouted = sendSeconds;
        var idle = Stopwatch.StartNew();
        for (var i = 0; i < 3000 && idle.Elapsed < TimeSpan.FromSeconds(2); i++) // ≤ 30 s
        {
            var s = evi.Stats;
            if (s.Received - stats0.Received > received) { received = s.Received - stats0.Received; lastReceived = sw.Elapsed.TotalSeconds; idle.Restart(); }
            if (s.Routed - stats0.Routed > routed) { routed = s.Routed - stats0.Routed; lastRouted = sw.Elapsed.TotalSeconds; idle.Restart(); }
            dropped = (drops.Read() ?? 0) - drops0;
            if (received + dropped >= sent && routed >= received) break;
            await Task.Delay(10);
        }
        dropped = (drops.Read() ?? 0) - drops0;
        Program.Log($"{name}: sent {sent} in {sendSeconds:F2} s = {sent / sendSeconds:F0}/s; received {received} = {received / lastReceived:F0}/s, " +
            $"routed {routed} = {routed / lastRouted:F0}/s; kernel drops {dropped}");
        return new Dictionary<string, object?>
        {
            ["sent"] = sent, ["sent_per_s"] = Program.Round(sent / sendSeconds), ["received"] = received,
            ["received_per_s"] = Program.Round(received / lastReceived), ["routed"] = routed,
            ["routed_per_s"] = Program.Round(routed / lastRouted), ["kernel_drops"] = dropped,
            ["seconds"] = Program.Round(Math.Max(lastReceived, lastRouted), 2),
        };
    }
}
