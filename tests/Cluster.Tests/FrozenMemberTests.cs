using System.Diagnostics;
using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>A member that stops answering heartbeats but whose process still exists (here: SIGSTOP, as a long GC pause
/// or a starved container would) is not downed for it: the dead-member probe finds its remoting port still accepting
/// connections and the decision waits alive-grace (10 s) instead of stable-after (1.5 s). After SIGCONT it is reachable
/// again and still a member. (Before the probe, a loaded CI machine once downed a live gateway this way.)</summary>
public sealed class FrozenMemberTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterFixture.StartAsync(output);

    public async Task DisposeAsync()
    {
        Signal("CONT", _cluster.Gateway.Pid); // never leave a stopped process behind a failed assertion
        await _cluster.DisposeAsync();
    }

    [Fact(Timeout = 180_000)]
    public Task A_frozen_gateway_is_not_downed_within_the_alive_grace_and_serves_again_after_it_thaws() => _cluster.RunAsync(async () =>
    {
        var gatewayAddress = "";
        await CommandTracker.WaitUntilAsyncAsync(async () =>
        {
            var members = await _cluster.Oldest.Admin.RunAsync("cluster", "show");
            gatewayAddress = members.FirstOrDefault(m => m[2].Contains("gateway", StringComparison.Ordinal) &&
                                                         !m[2].Contains("call-node", StringComparison.Ordinal))?[0] ?? "";
            return gatewayAddress.Length > 0;
        }, TimeSpan.FromSeconds(30), () => "no gateway-only member");

        Signal("STOP", _cluster.Gateway.Pid);
        _cluster.Log($"SIGSTOP to the gateway {gatewayAddress} (pid {_cluster.Gateway.Pid})");
        var frozenAt = _cluster.Clock.Elapsed;
        IReadOnlyList<IReadOnlyList<string>> seen = [];
        await CommandTracker.WaitUntilAsyncAsync(async () =>
        {
            seen = await _cluster.Oldest.Admin.RunAsync("cluster", "show");
            return seen.Any(m => m[0] == gatewayAddress && m[3] != "reachable");
        }, TimeSpan.FromSeconds(30), () => "the frozen gateway never became unreachable: " + Rows(seen));
        var unreachableAfter = _cluster.Clock.Elapsed - frozenAt;

        // Twice stable-after past the moment it was seen unreachable, well inside alive-grace: without the probe the
        // leader would have downed it by now.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var during = await _cluster.Oldest.Admin.RunAsync("cluster", "show");
        var gateway = during.SingleOrDefault(m => m[0] == gatewayAddress);
        Assert.True(gateway is not null && gateway[1] == "Up", "the frozen gateway was downed or removed: " + Rows(during));
        Assert.Contains(_cluster.AllOutput().Split('\n'), l => l.Contains("still accepts connections", StringComparison.Ordinal));

        Signal("CONT", _cluster.Gateway.Pid);
        await CommandTracker.WaitUntilAsyncAsync(async () =>
        {
            seen = await _cluster.Oldest.Admin.RunAsync("cluster", "show");
            return seen.Count == 3 && seen.All(m => m[1] == "Up" && m[3] == "reachable");
        }, TimeSpan.FromSeconds(30), () => "the thawed gateway did not come back: " + Rows(seen));

        // And it serves: a query through it is answered (an unknown cmd_id: refused, which proves the round trip).
        await using var client = await CommandTracker.ConnectAsync(_cluster.GatewayWs, _cluster.Clock, "thawed");
        var reply = await client.SubscribeAsync("never-started-after-thaw", 0);
        Assert.True(reply.TryGetProperty("error", out _), reply.GetRawText());
        _cluster.Log($"FROZEN GATEWAY: unreachable {Checks.Seconds(unreachableAfter)}s after SIGSTOP, still Up 3s later, reachable again after SIGCONT");
    });

    private static string Rows(IEnumerable<IReadOnlyList<string>> rows) => string.Join("; ", rows.Select(r => string.Join(" | ", r)));

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}") { UseShellExecute = false });
        kill?.WaitForExit(5000);
    }
}
