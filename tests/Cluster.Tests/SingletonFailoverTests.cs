using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>kill -9 of the node running the EVI subscription singleton (the oldest call node, which also has the higher
/// address, so the survivor wins the split brain resolver's tie): the subscription moves to the survivor's listener,
/// events keep flowing, and none is delivered twice.</summary>
public sealed class SingletonFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterFixture.StartAsync(output);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact(Timeout = 240_000)]
    public Task Killing_the_singletons_node_moves_the_EVI_subscription_and_events_keep_flowing_once() => _cluster.RunAsync(async () =>
    {
        var clock = _cluster.Clock;
        var (victim, survivor) = (_cluster.Oldest, _cluster.Younger);

        // Before: one subscriber per event, the oldest node's listener.
        var before = await _cluster.SubscribersAsync();
        foreach (var e in ClusterFixture.CallEvents)
        {
            Assert.Equal([victim.EviSocket], before.GetValueOrDefault(e, []));
        }

        await using var client = await CommandTracker.ConnectAsync(_cluster.GatewayWs, clock, "singleton");
        var warm = await RunAsync(client, "singleton-before", "sip:sb-a@127.0.0.1", "sip:sb-b@127.0.0.1");
        Assert.Equal("Ended ok", warm[^1].Code);

        await victim.Process.KillAsync();
        var killedAt = clock.Elapsed;
        _cluster.Log($"killed {victim.Name} (singleton, pid {victim.Process.Pid}) at +{Checks.Seconds(killedAt)}s");
        await CommandTracker.WaitUntilAsyncAsync(() => _cluster.SubscribedAsync(survivor.EviSocket), TimeSpan.FromSeconds(90),
            () => $"{survivor.EviSocket} subscribed");
        var movedAfter = clock.Elapsed - killedAt;

        // One live subscriber per event: the survivor's. The killed node's subscription cannot be withdrawn (nobody can
        // unsubscribe for a crashed node); it points at a dead socket until it expires, so it delivers nothing twice.
        var after = await _cluster.SubscribersAsync();
        foreach (var e in ClusterFixture.CallEvents)
        {
            var live = after.GetValueOrDefault(e, []).Where(s => s != victim.EviSocket).ToList();
            Assert.True(live.SequenceEqual([survivor.EviSocket]), $"{e}: live subscribers [{string.Join(",", live)}], expected [{survivor.EviSocket}]");
        }

        var stale = ClusterFixture.CallEvents.Count(e => after.GetValueOrDefault(e, []).Contains(victim.EviSocket));

        // Events keep flowing: a new call, held, unheld and ended, through the gateway; each command's notifications are
        // numbered without gap or duplicate (a doubly delivered event would show as a repeated event or seq).
        var start = await RunAsync(client, "singleton-after", "sip:sa-a@127.0.0.1", "sip:sa-b@127.0.0.1");
        Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], start.Select(n => n.Code));
        var call = start.Single(n => n.Data == "CALL_START").CallId!;
        Assert.Equal(["CALL_HOLD", "CALL_HOLD", "Ended ok"], (await RunCommandAsync(client, "CallHold", new { callid = call, cmd_id = "singleton-hold" })).Select(n => n.Code));
        Assert.Equal(["CALL_UNHOLD", "CALL_UNHOLD", "Ended ok"], (await RunCommandAsync(client, "CallUnHold", new { callid = call, cmd_id = "singleton-unhold" })).Select(n => n.Code));
        Assert.Equal(["CALL_END", "Ended ok"], (await RunCommandAsync(client, "CallEnd", new { callid = call, cmd_id = "singleton-end" })).Select(n => n.Code));

        _cluster.Log($"SINGLETON FAILOVER: EVI subscription on {survivor.EviSocket} {Checks.Seconds(movedAfter)}s after the kill of {victim.Name}; " +
                     $"the dead node's subscription still listed for {stale} of 3 events (expires on its own)");
    });

    private static Task<IReadOnlyList<Note>> RunAsync(CommandTracker client, string cmdId, string caller, string callee) =>
        RunCommandAsync(client, "CallStart", new { caller, callee, cmd_id = cmdId });

    private static async Task<IReadOnlyList<Note>> RunCommandAsync(CommandTracker client, string method, object parameters)
    {
        var cmdId = await client.StartAsync(method, parameters);
        await CommandTracker.WaitUntilAsync(() => client.IsEnded(cmdId), TimeSpan.FromSeconds(60), () => Checks.Describe(client, [cmdId]));
        await Task.Delay(300); // anything delivered twice would arrive right behind
        var notes = client.Notes(cmdId);
        Checks.NoGapNoDuplicate(cmdId, notes);
        return notes;
    }
}
