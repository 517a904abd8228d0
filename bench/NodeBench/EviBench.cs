using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.NodeBench;

/// <summary>Real UDP event datagrams (the format of tests/Simulator.Tests/Captures/c_normal_call.jsonl) into the real
/// EviListener, routed to DialogEntity through the dialog shard region.
/// Phase 1: three rounds of E_DLG_STATE_CHANGED (1→2, 2→3, 3→4) for N Call-IDs; each is a new transition, so each is
/// new. Round 1 also starts every entity. Processed = every dialog answers GetDialog with the round's new state.
/// Phase 2: E_CALL_HOLD events on the same dialogs (forwarded to watchers, never persisted). Processed = all queued
/// events are handled once every dialog has answered a GetDialog sent after the last one was routed (one sender,
/// FIFO through region → shard → entity).
/// The sender keeps at most --window datagrams not yet received by the listener, so the kernel buffer never
/// overflows and the rate is the listener's, not the loss rate.</summary>
public static class EviBench
{
    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        var maxPhase = o.MaxSeconds ?? TimeSpan.FromSeconds(20);
        await using var node = await NodeFixture.StartAsync(withEvi: true);
        var evi = node.Evi!;
        Program.Log($"one-node cluster up; EVI listener on {evi.LocalEndPoint}; journal {node.DbFile}");
        var run = Guid.NewGuid().ToString("N")[..6];
        var callIds = Enumerable.Range(0, o.Calls).Select(i => $"evb{run}{i:x6}").ToArray();
        var sockets = Enumerable.Range(0, o.Senders).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ToArray();
        var result = new Dictionary<string, object?>
        {
            ["calls"] = o.Calls, ["senders"] = o.Senders, ["window"] = o.Window,
            ["loadavg_start"] = Program.LoadAvg(),
        };
        try
        {
            foreach (var s in sockets) s.Connect(evi.LocalEndPoint);

            // Warm-up (JIT, journal tables, shard allocation): 2,000 dialogs of their own, not counted.
            var warm = Enumerable.Range(0, 2000).Select(i => StateDatagram($"warm{run}{i}", i, 3, 4)).ToList();
            await SendAsync(sockets, warm, evi, o.Window, DateTime.UtcNow + maxPhase);
            var warmIds = Enumerable.Range(0, 2000).Select(i => $"warm{run}{i}").ToList();
            var warmed = await node.CountDialogsInStateAsync(warmIds, 4, DateTime.UtcNow + maxPhase);
            Program.Log($"warm-up done: {warmed} dialogs in state 4");

            // Phase 1: state changes (each one new, so each one changes the dialog's state; dialogs live in memory).
            var transitions = new[] { (1, 2), (2, 3), (3, 4) };
            var rounds = new List<Dictionary<string, object?>>();
            long stateSent = 0;
            double stateSeconds = 0, stateSendSeconds = 0;
            var stats0 = evi.Stats;
            for (var r = 0; r < transitions.Length; r++)
            {
                var (from, to) = transitions[r];
                var datagrams = callIds.Select((c, i) => StateDatagram(c, i, from, to)).ToList();
                var routed0 = evi.Stats.Routed;
                var sw = Stopwatch.StartNew();
                var deadline = DateTime.UtcNow + maxPhase;
                var sent = await SendAsync(sockets, datagrams, evi, o.Window, deadline);
                var sendSeconds = sw.Elapsed.TotalSeconds;
                var routedInSend = evi.Stats.Routed - routed0;
                // Processed: every dialog reports the round's new state (the asks queue behind the events).
                var processed = await node.CountDialogsInStateAsync(callIds, to, deadline + TimeSpan.FromSeconds(30));
                var seconds = sw.Elapsed.TotalSeconds;
                var routed = evi.Stats.Routed - routed0;
                stateSent += sent;
                stateSeconds += seconds;
                stateSendSeconds += sendSeconds;
                Program.Log($"round {r + 1} ({from}->{to}{(r == 0 ? ", new entities" : "")}): sent {sent} in {sendSeconds:F2} s " +
                    $"(routed {routedInSend / sendSeconds:F0}/s), processed {processed} in {seconds:F2} s = {processed / seconds:F0}/s");
                rounds.Add(new()
                {
                    ["transition"] = $"{from}->{to}", ["new_entities"] = r == 0, ["sent"] = sent, ["routed"] = routed,
                    ["routed_per_s"] = Program.Round(routedInSend / sendSeconds), ["processed"] = processed,
                    ["processed_per_s"] = Program.Round(processed / seconds), ["seconds"] = Program.Round(seconds, 2),
                });
            }
            var statsState = evi.Stats;
            result["state_changes"] = new Dictionary<string, object?>
            {
                ["sent"] = stateSent, ["received"] = statsState.Received - stats0.Received, ["routed"] = statsState.Routed - stats0.Routed,
                ["routed_per_s"] = Program.Round((statsState.Routed - stats0.Routed) / stateSendSeconds),
                ["processed_per_s"] = Program.Round(stateSent / stateSeconds), ["rounds"] = rounds,
            };

            // Phase 2: non-persisting hold events.
            var holds = new List<byte[]>(o.Calls * 2);
            foreach (var c in callIds)
            {
                holds.Add(HoldDatagram(c, "caller", "hold"));
                holds.Add(HoldDatagram(c, "caller", "unhold"));
            }
            var gc0 = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            var holdStats0 = evi.Stats;
            var holdSw = Stopwatch.StartNew();
            var holdSent = await SendAsync(sockets, holds, evi, o.Window, DateTime.UtcNow + maxPhase, o.HoldEvents);
            var holdSendSeconds = holdSw.Elapsed.TotalSeconds;
            // Let the listener catch up with what is in the socket buffer (bounded), then drain the entities.
            for (var i = 0; i < 200 && evi.Stats.Received - holdStats0.Received < holdSent; i++) await Task.Delay(10);
            var holdStats = evi.Stats;
            var drained = await DrainAsync(node.Dialog, callIds, TimeSpan.FromSeconds(60));
            var holdSeconds = holdSw.Elapsed.TotalSeconds;
            var gc1 = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            var holdRouted = holdStats.Routed - holdStats0.Routed;
            Program.Log($"hold events: sent {holdSent} in {holdSendSeconds:F2} s, received {holdStats.Received - holdStats0.Received}, " +
                $"routed {holdRouted} = {holdRouted / holdSendSeconds:F0}/s; all {drained}/{callIds.Length} dialogs drained after {holdSeconds:F2} s " +
                $"= {holdRouted / holdSeconds:F0} processed/s");
            result["hold_events"] = new Dictionary<string, object?>
            {
                ["sent"] = holdSent, ["received"] = holdStats.Received - holdStats0.Received, ["routed"] = holdRouted,
                ["received_per_s"] = Program.Round((holdStats.Received - holdStats0.Received) / holdSendSeconds),
                ["routed_per_s"] = Program.Round(holdRouted / holdSendSeconds),
                ["processed_per_s"] = Program.Round(holdRouted / holdSeconds),
                ["dialogs_drained"] = drained, ["seconds"] = Program.Round(holdSeconds, 2),
                ["alloc_bytes_per_event"] = (gc1.Item1 - gc0.Item1) / Math.Max(1, holdSent),
                ["gc_gen0_gen1_gen2"] = new[] { gc1.Item2 - gc0.Item2, gc1.Item3 - gc0.Item3, gc1.Item4 - gc0.Item4 },
                ["gc_pause_ms"] = Program.Round((gc1.Item5 - gc0.Item5).TotalMilliseconds),
            };
            var final = evi.Stats;
            result["listener_totals"] = new Dictionary<string, object?>
            {
                ["received"] = final.Received, ["routed"] = final.Routed, ["malformed"] = final.Malformed, ["ignored"] = final.Ignored,
            };
            return result;
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    /// <summary>Sends datagrams round-robin over the sockets from one thread, never more than <paramref name="window"/>
    /// ahead of what the listener has received. Stops after <paramref name="max"/> (cycling the list) or the deadline.</summary>
    internal static Task<long> SendAsync(Socket[] sockets, List<byte[]> datagrams, EviListener evi, int window, DateTime deadline, long max = -1) =>
        Task.Factory.StartNew(() => Send(sockets, datagrams, evi, window, deadline, max), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static long Send(Socket[] sockets, List<byte[]> datagrams, EviListener evi, int window, DateTime deadline, long max = -1)
    {
        if (max < 0) max = datagrams.Count;
        var received0 = evi.Stats.Received;
        long sent = 0, received = 0;
        var lastProgress = Stopwatch.StartNew();
        var checkDeadline = 0;
        while (sent < max)
        {
            if (sent - received >= window)
            {
                received = evi.Stats.Received - received0;
                if (sent - received >= window)
                {
                    if (DateTime.UtcNow > deadline) break;
                    Thread.Sleep(1); // a window is tens of ms of traffic: 1 ms naps leave the cores to the node
                    continue;
                }
            }
            sockets[sent % sockets.Length].Send(datagrams[(int)(sent % datagrams.Count)]);
            sent++;
            if ((++checkDeadline & 1023) == 0)
            {
                received = evi.Stats.Received - received0;
                if (DateTime.UtcNow > deadline) break;
                if (lastProgress.Elapsed > TimeSpan.FromSeconds(2))
                {
                    Program.Log($"  sent {sent}, listener received {received}");
                    lastProgress.Restart();
                }
            }
        }
        return sent;
    }

    /// <summary>Asks every dialog for its view (bounded concurrency); returns how many answered.</summary>
    private static async Task<int> DrainAsync(IActorRef region, string[] callIds, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var answered = 0;
        foreach (var chunk in callIds.Chunk(2000))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) break;
            var asks = chunk.Select(c => region.Ask<DialogView>(new GetDialog(c), left)).ToArray();
            try { await Task.WhenAll(asks); } catch (Exception) { /* counted below */ }
            answered += asks.Count(t => t.IsCompletedSuccessfully);
        }
        return answered;
    }

    // The wire format of c_normal_call.jsonl (OpenSIPS 3.x event_datagram, jsonrpc notifications).
    internal static byte[] StateDatagram(string callId, int i, int oldState, int newState) => Encoding.UTF8.GetBytes(
        "{\"jsonrpc\":\"2.0\",\"method\":\"E_DLG_STATE_CHANGED\",\"params\":{\"id\":\"" + (i % 4096) + "." + (0xf18e0000 + i).ToString("x8") +
        "\",\"db_id\":\"" + (499725756447L + i) + "\",\"callid\":\"" + callId + "\",\"from_tag\":\"7c4300077a685558\",\"to_tag\":\"2c076d53646e9207\"," +
        "\"old_state\":" + oldState + ",\"new_state\":" + newState + "}}");

    internal static byte[] HoldDatagram(string callId, string leg, string action) => Encoding.UTF8.GetBytes(
        "{\"jsonrpc\":\"2.0\",\"method\":\"E_CALL_HOLD\",\"params\":{\"callid\":\"" + callId + "\",\"leg\":\"" + leg +
        "\",\"action\":\"" + action + "\",\"state\":\"start\"}}");
}
