using System.Text.RegularExpressions;
using System.Collections.Concurrent;
using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>Rolling restart under load (issue 13 item 5): a steady load of short commands runs through the gateway the
/// whole time while each call node in turn (the oldest first, then the other) gets SIGTERM (graceful leave), exits, is
/// removed from the cluster, is started again on the same ports and settings, rejoins (Up) and hosts shards again. Not
/// one command accepted may fail or be refused; each command's notifications have no gap and no duplicate. Prints the
/// load figures (sent, accepted, ok, rate) and per restart the time from SIGTERM to exit, to removal, to Up again and to
/// hosting shards again.</summary>
public sealed class RollingRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Concurrent clients of the load: each runs CallStart (normal callee), then CallEnd of that call, in a loop.</summary>
    private const int Workers = 6;
    /// <summary>Bound of the load in count (commands sent), whatever the time.</summary>
    private const int MaxCommands = 4000;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterFixture.StartAsync(output);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact(Timeout = 240_000)]
    public Task Rolling_restart_of_both_call_nodes_under_load_fails_no_command() => _cluster.RunAsync(async () =>
    {
        var clock = _cluster.Clock;
        await using var client = await CommandTracker.ConnectAsync(_cluster.GatewayWs, clock, "roll");
        var accepted = new ConcurrentQueue<(string Id, string Method)>();
        var refused = new ConcurrentDictionary<string, string>();
        var stuck = new ConcurrentDictionary<string, string>();
        var sent = 0;
        var reserved = 0;
        using var stop = new CancellationTokenSource();

        async Task<bool> RunOneAsync(string method, string id, object parameters)
        {
            var sentAt = clock.Elapsed;
            Interlocked.Increment(ref sent);
            try
            {
                await client.StartAsync(method, parameters, TimeSpan.FromSeconds(45));
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // A request the cluster could not take is as failed as a command that ended failed.
                refused[id] = $"{method} sent at +{Checks.Seconds(sentAt)}s, answered at +{Checks.Seconds(clock.Elapsed)}s: {e.Message}";
                return false;
            }

            accepted.Enqueue((id, method));
            try
            {
                await CommandTracker.WaitUntilAsync(() => client.IsEnded(id), CommandTimeout, () => Checks.Describe(client, [id]));
            }
            catch (TimeoutException e)
            {
                stuck[id] = e.Message;
                return false;
            }

            return client.Notes(id)[^1].Status == "ok";
        }

        // The load generator: each worker runs one call at a time (start it, end it), until told to stop or the count
        // bound is reached. A failed command does not stop it (the assertion at the end reports every failure); a
        // refused request or one that never ends does.
        var loadStart = clock.Elapsed;
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var round = 0; !stop.IsCancellationRequested && Interlocked.Add(ref reserved, 2) <= MaxCommands; round++)
            {
                var start = $"roll-start-{w}-{round:0000}";
                var started = await RunOneAsync("CallStart", start, new
                {
                    caller = $"sip:roll{w}x{round}-a@127.0.0.1",
                    callee = $"sip:roll{w}x{round}-b@127.0.0.1",
                    cmd_id = start,
                });
                if (refused.ContainsKey(start) || stuck.ContainsKey(start))
                {
                    return;
                }

                // A failed CallStart is reported at the end; only a started call is ended.
                var call = started ? client.Notes(start).LastOrDefault(n => n.Data == "CALL_START")?.CallId : null;
                if (call is null)
                {
                    continue;
                }

                var end = $"roll-end-{w}-{round:0000}";
                await RunOneAsync("CallEnd", end, new { callid = call, cmd_id = end });
                if (refused.ContainsKey(end) || stuck.ContainsKey(end))
                {
                    return;
                }
            }
        })).ToList();

        int OkSoFar() => accepted.Count(a => client.Notes(a.Id) is { Count: > 0 } n && n[^1] is { IsEnded: true, Status: "ok" });
        int FailedSoFar() => accepted.Count(a => client.Notes(a.Id) is { Count: > 0 } n && n[^1] is { IsEnded: true } e && e.Status != "ok");

        // Warm-up: the load runs steadily before the first restart.
        await CommandTracker.WaitUntilAsync(() => OkSoFar() >= 40 || workers.Any(t => t.IsCompleted), Step,
            () => $"warm-up: {OkSoFar()} ok");
        Assert.False(workers.Any(t => t.IsCompleted), "a load worker stopped during warm-up: " + string.Join("; ", refused.Values.Concat(stuck.Values)));
        _cluster.Log($"load running: {OkSoFar()} commands ok after {Checks.Seconds(clock.Elapsed - loadStart)}s");

        var figures = new List<string>();
        foreach (var name in new[] { _cluster.Oldest.Name, _cluster.Younger.Name })
        {
            var node = _cluster.CallNodes.Single(n => n.Name == name);
            var other = _cluster.CallNodes.Single(n => n.Name != name);
            var okBefore = OkSoFar();
            var failedBefore = FailedSoFar();
            var hosted = (await node.Admin.RegionStatsAsync("command")).Count;
            _cluster.Log($"SIGTERM to {node.Name} ({node.Address}, pid {node.Process.Pid}, {hosted} command shards)");
            var termAt = clock.Elapsed;
            node.Process.Terminate();
            await node.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
            var exitedAt = clock.Elapsed;
            // Every kept line, not only the last ones printed on failure: a busy shutdown logs more than those.
            Assert.Contains(node.Process.Lines, l => l.Contains("CoordinatedShutdown invoked", StringComparison.Ordinal));

            // The cluster has removed it (the survivor's view no longer lists its address).
            await CommandTracker.WaitUntilAsyncAsync(async () =>
                    (await other.Admin.RunAsync("cluster", "show")).All(m => m[0] != node.Address), Step,
                () => $"{node.Address} removed from {other.Name}'s membership");
            var removedAt = clock.Elapsed;

            // Started again on the same ports and settings: it rejoins as a new incarnation of the same address.
            var restarted = await _cluster.RestartCallNodeAsync(node);
            await CommandTracker.WaitUntilAsyncAsync(async () =>
            {
                var members = await other.Admin.RunAsync("cluster", "show");
                return members.Count(m => m[1] == "Up") == 3 && members.Any(m => m[0] == node.Address && m[1] == "Up");
            }, Step, () => $"{node.Name} Up again in {other.Name}'s view, 3 members Up");
            var upAt = clock.Elapsed;

            // It hosts shards again (new shards are allocated to the least loaded region, and the coordinator rebalances).
            await CommandTracker.WaitUntilAsyncAsync(async () => (await restarted.Admin.RegionStatsAsync("command")).Count > 0, Step,
                () => $"restarted {node.Name} hosts command shards");
            var shardsAt = clock.Elapsed;
            var line = $"{node.Name}: SIGTERM -> exit {Checks.Seconds(exitedAt - termAt)}s, -> removed {Checks.Seconds(removedAt - termAt)}s, " +
                       $"-> rejoined Up {Checks.Seconds(upAt - termAt)}s, -> hosting shards {Checks.Seconds(shardsAt - termAt)}s; " +
                       $"{OkSoFar() - okBefore} commands ended ok meanwhile, {FailedSoFar() - failedBefore} failed";
            figures.Add(line);
            _cluster.Log("restart " + line);

            // Load keeps running on the whole cluster a moment before the next node goes.
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        await stop.CancelAsync();
        var stoppedAt = clock.Elapsed;
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(90));
        var all = accepted.ToList();
        await CommandTracker.WaitUntilAsync(() => all.All(a => client.IsEnded(a.Id)), TimeSpan.FromSeconds(60),
            () => "not Ended:\n" + Checks.Describe(client, all.Where(a => !client.IsEnded(a.Id)).Select(a => a.Id)));
        var loadTime = stoppedAt - loadStart;

        var failed = all.Where(a => client.Notes(a.Id)[^1].Status != "ok").ToList();
        var ok = all.Count - failed.Count;
        var summary = $"ROLLING RESTART under load ({Workers} clients, CallStart + CallEnd, journal {_cluster.Store.Split(' ')[0]}): " +
                      $"{Volatile.Read(ref sent)} sent " +
                      $"(bound {MaxCommands}), {all.Count} accepted, {refused.Count} refused, {ok} ok, {failed.Count} failed, " +
                      $"{stuck.Count} not ended in {CommandTimeout.TotalSeconds:0}s; {Checks.Seconds(loadTime)}s of load, " +
                      $"{ok / loadTime.TotalSeconds:0.0} commands ok/s; " + string.Join("; ", figures);
        _cluster.Log(summary);

        // Akka sharding loses messages while a shard moves (the buffer dropped at HandOff, mailboxes of stopping
        // entities); the call nodes send them again (HandOffRedelivery). Printed so that a run shows whether it happened.
        var output = _cluster.AllOutput();
        var droppedAtHandOff = Regex.Matches(output, @"(command|dialog): Dropping \[(\d+)\] buffered messages to shard")
            .Sum(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        var sentAgain = Regex.Matches(output, @"Sent again (\d+) message\(s\) that sharding lost while a shard moved")
            .Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        _cluster.Log($"hand-off: {droppedAtHandOff} message(s) dropped by sharding; {sentAgain} sent again (drops, and messages to stopped entities or handing-off shards)");

        Assert.True(failed.Count == 0 && refused.IsEmpty && stuck.IsEmpty,
            $"{summary}\n{refused.Count} refused, {stuck.Count} stuck, {failed.Count} of {all.Count} failed:\n" +
            string.Join("\n", refused.Select(r => $"{r.Key} refused ({r.Value})")
                .Concat(stuck.Select(s => $"{s.Key} not ended: {s.Value}"))
                .Concat(failed.Select(a => client.Notes(a.Id)[^1] is var e
                    ? $"{a.Id} {a.Method} (accepted before +{Checks.Seconds(client.Notes(a.Id)[0].At)}s, ended +{Checks.Seconds(e.At)}s): {e.ErrorCode} {e.ErrorMessage}"
                    : ""))));
        foreach (var (id, method) in all)
        {
            var notes = client.Notes(id);
            Checks.NoGapNoDuplicate(id, notes);
            string[] expected = method == "CallStart"
                ? ["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"]
                : ["CALL_END", "Ended ok"];
            Assert.Equal(expected, notes.Select(n => n.Code));
        }

        // The EVI subscription followed the oldest member: after both restarts that is node-old again (restarted
        // first), and only its listener is subscribed.
        await CommandTracker.WaitUntilAsyncAsync(async () =>
        {
            var subs = await _cluster.SubscribersAsync();
            return ClusterFixture.CallEvents.All(e => subs.GetValueOrDefault(e, []).SequenceEqual([_cluster.Oldest.EviSocket]));
        }, TimeSpan.FromSeconds(30), () => $"only {_cluster.Oldest.EviSocket} subscribed");
    });
}
