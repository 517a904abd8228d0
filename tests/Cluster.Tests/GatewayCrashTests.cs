using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>kill -9 of the gateway-only process while its client has 100 commands in flight: both call nodes survive
/// (downing counts call nodes first, docs/survival.md), the client reconnects to another gateway (a call node's
/// WebSocket port) and CommandSubscribe {cmd_id, after_seq: last seen} delivers everything after it, to Ended ok.</summary>
public sealed class GatewayCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Commands = 100;
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() =>
        // Slow callees: on a loaded machine the burst of 100 takes 10-14 s to reach CALL_START, and none may end before
        // the gateway dies.
        _cluster = await ClusterFixture.StartAsync(output, new ClusterOptions(Simulator: "slow-answer-delay = 16s"));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact(Timeout = 240_000)]
    public Task A_client_of_a_dead_gateway_resubscribes_elsewhere_and_loses_nothing() => _cluster.RunAsync(async () =>
    {
        var clock = _cluster.Clock;
        var ids = Enumerable.Range(0, Commands).Select(i => $"gw-crash-{i}").ToList();
        var lastSeen = new Dictionary<string, int>();
        await using (var first = await CommandTracker.ConnectAsync(_cluster.GatewayWs, clock, "gw1"))
        {
            await Task.WhenAll(ids.Select((id, i) => first.StartAsync("CallStart", new
            {
                caller = $"sip:gw{i}-a@127.0.0.1",
                callee = $"sip:slow-gw{i}-b@127.0.0.1",
                cmd_id = id,
            })));
            await CommandTracker.WaitUntilAsync(() => ids.All(id => first.Notes(id).Any(n => n.Data == "CALL_START")),
                TimeSpan.FromSeconds(60), () => Checks.Describe(first, ids));

            await _cluster.Gateway.KillAsync();
            _cluster.Log($"killed the gateway-only process (pid {_cluster.Gateway.Pid}) with {Commands} CallStart waiting for slow callees");
            await first.Closed.WaitAsync(TimeSpan.FromSeconds(10));
            foreach (var id in ids)
            {
                var seen = first.Notes(id);
                Checks.NoGapNoDuplicateSoFar(id, seen);
                lastSeen[id] = first.LastSeq(id);
                Assert.False(first.IsEnded(id), $"{id} ended before the gateway died");
            }
        }

        var other = _cluster.Younger;
        await using var second = await CommandTracker.ConnectAsync(other.Ws, clock, "gw2");
        foreach (var id in ids)
        {
            var reply = await second.SubscribeAsync(id, lastSeen[id]);
            Assert.True(reply.TryGetProperty("result", out _), $"CommandSubscribe {id} refused: {reply.GetRawText()}");
        }

        await CommandTracker.WaitUntilAsync(() => ids.All(second.IsEnded), TimeSpan.FromSeconds(60),
            () => Checks.Describe(second, ids));
        foreach (var id in ids)
        {
            var notes = second.Notes(id);
            Checks.NoGapNoDuplicate(id, notes, afterSeq: lastSeen[id]);
            Assert.Equal("Ended ok", notes[^1].Code);
            Assert.Equal(5, notes[^1].Seq);
        }

        // The dead gateway was downed and removed, and nobody downed a call node for it: exactly the two call nodes
        // remain, both Up.
        IReadOnlyList<IReadOnlyList<string>> members = [];
        await CommandTracker.WaitUntilAsyncAsync(async () =>
        {
            members = await _cluster.Oldest.Admin.RunAsync("cluster", "show");
            return members.Count == 2;
        }, TimeSpan.FromSeconds(30), () => "members: " + string.Join("; ", members.Select(m => string.Join(" | ", m))));
        Assert.All(members, m => Assert.Contains("Up", m));
        _cluster.Log($"GATEWAY CRASH: {Commands} commands resubscribed on {other.Name} after seq {string.Join(",", lastSeen.Values.Distinct())}, all Ended ok without gap");
    });
}
