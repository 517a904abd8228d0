using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>kill -9 of a call node while 100 CallStart commands are in flight. The killed node is the OLDEST, which
/// has the HIGHER akka port: it hosts the singletons (EVI subscription, shard coordinator), so this is the worst case,
/// and the survivor (lower address) wins the split brain resolver's one-against-one tie (keep-majority counting
/// call-node members; a tie goes to the side with the lowest address).</summary>
public sealed class CallNodeCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Commands = 100;
    // Long enough that every command is past CALL_START (waiting for its slow callee) when the node dies.
    private const string SlowAnswer = "12s";
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await ClusterFixture.StartAsync(output, new ClusterOptions(Simulator: $"slow-answer-delay = {SlowAnswer}"));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact(Timeout = 300_000)]
    public Task Kill_9_of_a_call_node_with_100_CallStart_in_flight_loses_nothing() => _cluster.RunAsync(async () =>
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
        var victim = _cluster.Oldest;
        var survivor = _cluster.Younger;
        var hosts = await _cluster.LocateAsync("command", ids);
        var onVictim = ids.Where(id => hosts[id] == victim).ToList();
        _cluster.Log($"{Commands} CallStart at CALL_START {Checks.Seconds(clock.Elapsed - sent)}s after sending; " +
                     $"{onVictim.Count} on {victim.Name}, {ids.Count(id => hosts[id] == survivor)} on {survivor.Name}");
        Assert.True(onVictim.Count > 0, $"no command on {victim.Name}: the kill would prove nothing");
        Assert.All(ids, id => Assert.False(client.IsEnded(id), $"{id} ended before the kill"));

        await victim.Process.KillAsync();
        var killedAt = clock.Elapsed;
        _cluster.Log($"killed {victim.Name} (pid {victim.Process.Pid}, SIGKILL) at +{Checks.Seconds(killedAt)}s ({DateTime.UtcNow:HH:mm:ss.fff}Z)");

        // Measured, not asserted: when the victim's shards were re-homed, when the EVI subscription moved, when the
        // first notification after the kill arrived (necessarily produced by the survivor), when all had ended.
        var probe = onVictim[0];
        var rehomed = WhenAsync(async () => (await _cluster.LocateAsync("command", [probe]))[probe] == survivor, TimeSpan.FromSeconds(120));
        var resubscribed = WhenAsync(() => _cluster.SubscribedAsync(survivor.EviSocket), TimeSpan.FromSeconds(120));
        await CommandTracker.WaitUntilAsync(() => ids.All(client.IsEnded), TimeSpan.FromSeconds(150),
            () => "not Ended:\n" + Checks.Describe(client, ids.Where(id => !client.IsEnded(id))));
        var allEnded = clock.Elapsed;
        var after = client.AllNotes().Where(n => n.At > killedAt).ToList();
        var firstAfter = after.Count > 0 ? after[0] : null;
        var firstOnVictimShard = after.FirstOrDefault(n => onVictim.Contains(n.CmdId));

        // Every command reached Ended (ok, or failed with a reason), with no gap and no duplicate in seq.
        foreach (var id in ids)
        {
            var notes = client.Notes(id);
            Checks.NoGapNoDuplicate(id, notes);
            Checks.EndedOkOrFailedWithReason(id, notes);
        }

        var ok = ids.Where(id => client.Notes(id)[^1].Status == "ok").ToList();
        var failed = ids.Except(ok).ToList();
        foreach (var id in ok)
        {
            Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], client.Notes(id).Select(n => n.Code));
        }

        // Dialog state intact: every call reported started is confirmed at the proxy, and the cluster (now only the
        // survivor hosts dialog entities) still knows them: CallEnd ends them ok.
        using var mi = _cluster.NewMiClient();
        foreach (var id in ok)
        {
            var call = client.Notes(id).Single(n => n.Data == "CALL_START").CallId!;
            Assert.Equal(4, await mi.DialogStateAsync(call));
        }

        foreach (var id in ok.Take(10))
        {
            var call = client.Notes(id).Single(n => n.Data == "CALL_START").CallId!;
            var end = await client.StartAsync("CallEnd", new { callid = call, cmd_id = "end-" + id });
            await CommandTracker.WaitUntilAsync(() => client.IsEnded(end), TimeSpan.FromSeconds(30), () => Checks.Describe(client, [end]));
            Assert.Equal(["CALL_END", "Ended ok"], client.Notes(end).Select(n => n.Code));
            Assert.Equal(0, await mi.DialogStateAsync(call));
        }

        var figures =
            $"FAILOVER (kill -9 of {victim.Name}, {Commands} CallStart in flight, {onVictim.Count} of them on the killed node, " +
            $"slow callee {SlowAnswer}, journal {_cluster.Store.Split(' ')[0]}): " +
            $"shards re-homed on {survivor.Name} after {Fmt(await rehomed)}; EVI subscription moved after {Fmt(await resubscribed)}; " +
            $"first notification after the kill after {Fmt(firstAfter?.At - killedAt)} ({firstAfter?.CmdId} {firstAfter?.Code}); " +
            $"first notification of a command from the killed node after {Fmt(firstOnVictimShard?.At - killedAt)}; " +
            $"all {Commands} Ended after {Fmt(allEnded - killedAt)}: {ok.Count} ok, {failed.Count} failed" +
            (failed.Count > 0 ? $" ({string.Join("; ", failed.Take(5).Select(id => $"{id}: {client.Notes(id)[^1].ErrorCode} {client.Notes(id)[^1].ErrorMessage}"))})" : "");
        _cluster.Log(figures);

        // Where the time went, as the survivor saw it (Akka's own time stamps).
        string[] milestones = ["UNREACHABLE", "SBR took decision", "is downing", "Leader is removing", "ShardCoordinator was moved",
            "BecomingOldest -> Oldest", "EVI subscription singleton started", "Subscribed E_DLG_STATE_CHANGED"];
        foreach (var line in survivor.Process.Lines.Where(l => milestones.Any(m => l.Contains(m, StringComparison.Ordinal))).Take(20))
        {
            _cluster.Log("  survivor: " + (line.Length > 260 ? line[..260] : line));
        }
    });

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
