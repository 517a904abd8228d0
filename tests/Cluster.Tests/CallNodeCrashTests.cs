using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>kill -9 of a call node while 100 CallStart commands are in flight, once for each call node: the OLDEST (it
/// hosts the singletons: EVI subscription, shard coordinators, so they move too) and the YOUNGEST. The downing rule
/// (call nodes first, the gateway breaks the one-against-one tie) keeps the survivor either way, and every command
/// completes ok on it, none twice. Prints the failover figures (kill to resumed, to first notification, to last Ended).</summary>
public sealed class CallNodeCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Commands = 100;
    // Long enough that every command is past CALL_START (waiting for its slow callee) when the node dies (the burst of
    // 100 takes 10-14 s to get there on a loaded 2-core machine), and that the callees answer after the failover (their
    // events go to wherever the EVI subscription is by then).
    private const string SlowAnswer = "16s";
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await ClusterFixture.StartAsync(output, new ClusterOptions(Simulator: $"slow-answer-delay = {SlowAnswer}"));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Theory(Timeout = 240_000)]
    [InlineData("oldest")]
    [InlineData("youngest")]
    public Task Kill_9_of_a_call_node_with_100_CallStart_in_flight_loses_nothing(string which) => _cluster.RunAsync(async () =>
    {
        var clock = _cluster.Clock;
        await using var client = await CommandTracker.ConnectAsync(_cluster.GatewayWs, clock, "crash");
        var ids = Enumerable.Range(0, Commands).Select(i => $"crash-{i:000}").ToList();
        var sent = clock.Elapsed;
        await Task.WhenAll(ids.Select((id, i) => client.StartAsync("CallStart", new
        {
            caller = $"sip:crash{i}-a@127.0.0.1",
            callee = $"sip:slow-crash{i}-b@127.0.0.1",
            cmd_id = id,
        })));
        // Mid-flight: every one has reported CALL_START and waits for its slow callee.
        await CommandTracker.WaitUntilAsync(() => ids.All(id => client.Notes(id).Any(n => n.Data == "CALL_START")),
            TimeSpan.FromSeconds(60), () => Checks.Describe(client, ids.Where(id => !client.Notes(id).Any(n => n.Data == "CALL_START"))));
        var (victim, survivor) = which == "oldest" ? (_cluster.Oldest, _cluster.Younger) : (_cluster.Younger, _cluster.Oldest);
        var hosts = await _cluster.LocateAsync("command", ids);
        var onVictim = ids.Where(id => hosts[id] == victim).ToList();
        // The command entities running on the victim, per shard: the survivor must restart all of them by itself.
        var victimShards = await victim.Admin.RegionStatsAsync("command");
        _cluster.Log($"{Commands} CallStart at CALL_START {Checks.Seconds(clock.Elapsed - sent)}s after sending; " +
                     $"{onVictim.Count} on {victim.Name} ({which}), {ids.Count(id => hosts[id] == survivor)} on {survivor.Name}");
        Assert.True(onVictim.Count > 0, $"no command on {victim.Name}: the kill would prove nothing");
        Assert.All(ids, id => Assert.False(client.IsEnded(id), $"{id} ended before the kill"));

        await victim.Process.KillAsync();
        var killedAt = clock.Elapsed;
        _cluster.Log($"killed {victim.Name} (pid {victim.Process.Pid}, SIGKILL) at +{Checks.Seconds(killedAt)}s ({DateTime.UtcNow:HH:mm:ss.fff}Z)");

        // Resumed: the survivor hosts every shard of the victim with all its command entities running again (remembered
        // entities, restarted without any client or event touching them). Read through the admin endpoint only; a
        // region answers its statistics only once every shard has loaded (or after shard-region-query-timeout), so
        // one reading can take a while: the moment lies between the start and the end of the first reading that
        // shows them all.
        var resumed = ResumedAsync(survivor, victimShards, killedAt);
        var resubscribed = WhenAsync(() => _cluster.SubscribedAsync(survivor.EviSocket), TimeSpan.FromSeconds(60));
        await CommandTracker.WaitUntilAsync(() => ids.All(client.IsEnded), TimeSpan.FromSeconds(120),
            () => "not Ended:\n" + Checks.Describe(client, ids.Where(id => !client.IsEnded(id))));
        var allEnded = clock.Elapsed;
        var after = client.AllNotes().Where(n => n.At > killedAt).ToList();
        var firstOnVictimShard = after.FirstOrDefault(n => onVictim.Contains(n.CmdId));

        var figures =
            $"FAILOVER (kill -9 of the {which} call node {victim.Name}, {Commands} CallStart in flight, {onVictim.Count} of them on it, " +
            $"slow callee {SlowAnswer}, journal {_cluster.Store.Split(' ')[0]}): " +
            $"its {victimShards.Count} shards' commands running again on {survivor.Name} after {await resumed}; " +
            $"EVI subscription on {survivor.Name} after {Fmt(await resubscribed)}; " +
            $"first notification of a command from the killed node after {Fmt(firstOnVictimShard?.At - killedAt)}; " +
            $"all {Commands} Ended after {Fmt(allEnded - killedAt)}: {ids.Count(id => client.Notes(id)[^1].Status == "ok")} ok";
        _cluster.Log(figures);

        // Every command ended OK with the whole flow exactly once: no gap, no duplicate, no failure.
        foreach (var id in ids)
        {
            var notes = client.Notes(id);
            Checks.NoGapNoDuplicate(id, notes);
            Assert.True(notes[^1].Status == "ok",
                $"{id} ({(onVictim.Contains(id) ? "on the killed node" : "on the survivor")}) Ended {notes[^1].Status}: {notes[^1].ErrorCode} {notes[^1].ErrorMessage}");
            Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], notes.Select(n => n.Code));
        }

        // Dialog state intact: every call reported started is confirmed at the proxy, and the cluster (now only the
        // survivor hosts dialog entities) still knows them: CallEnd ends them ok.
        using var mi = _cluster.NewMiClient();
        foreach (var id in ids)
        {
            var call = client.Notes(id).Single(n => n.Data == "CALL_START").CallId!;
            Assert.Equal(4, await mi.DialogStateAsync(call));
        }

        foreach (var id in ids.Take(10))
        {
            var call = client.Notes(id).Single(n => n.Data == "CALL_START").CallId!;
            var end = await client.StartAsync("CallEnd", new { callid = call, cmd_id = "end-" + id });
            await CommandTracker.WaitUntilAsync(() => client.IsEnded(end), TimeSpan.FromSeconds(30), () => Checks.Describe(client, [end]));
            Assert.Equal(["CALL_END", "Ended ok"], client.Notes(end).Select(n => n.Code));
            Assert.Equal(0, await mi.DialogStateAsync(call));
        }

        // Where the time went, as the survivor saw it (Akka's own time stamps).
        string[] milestones = ["UNREACHABLE", "SBR took decision", "is downing", "Leader is removing", "ShardCoordinator was moved",
            "Downing", "BecomingOldest -> Oldest", "EVI subscription singleton started", "Subscribed E_DLG_STATE_CHANGED"];
        foreach (var line in survivor.Process.Lines.Where(l => milestones.Any(m => l.Contains(m, StringComparison.Ordinal))).Take(20))
        {
            _cluster.Log("  survivor: " + (line.Length > 260 ? line[..260] : line));
        }
    });

    /// <summary>"between A and B s" after the kill: the first region statistics of the survivor holding every command the
    /// victim ran (A: when that reading was asked, B: when it answered).</summary>
    private async Task<string> ResumedAsync(CallNode survivor, IReadOnlyDictionary<string, int> victimShards, TimeSpan killedAt)
    {
        var clock = _cluster.Clock;
        while (clock.Elapsed - killedAt < TimeSpan.FromSeconds(60))
        {
            var asked = clock.Elapsed;
            try
            {
                var stats = await survivor.Admin.RegionStatsAsync("command");
                if (victimShards.All(kv => stats.TryGetValue(kv.Key, out var n) && n >= kv.Value))
                {
                    return $"{(asked - killedAt).TotalSeconds:0.00}-{(clock.Elapsed - killedAt).TotalSeconds:0.00}s";
                }
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TaskCanceledException)
            {
                // not answering yet
            }

            await Task.Delay(50);
        }

        return "n/a (not within 60 s)";
    }

    private async Task<TimeSpan?> WhenAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var from = _cluster.Clock.Elapsed;
        try
        {
            await CommandTracker.WaitUntilAsyncAsync(condition, timeout, () => "");
            return _cluster.Clock.Elapsed - from;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private static string Fmt(TimeSpan? t) => t is null ? "n/a" : $"{t.Value.TotalSeconds:0.00}s";
}
