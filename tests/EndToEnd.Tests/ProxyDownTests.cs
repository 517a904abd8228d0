using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>When OpenSIPS stops answering, commands end failed -32003 after the MI timeout instead of hanging.</summary>
public sealed class ProxyDownTests
{
    [Fact]
    public async Task CallEnd_with_the_simulator_stopped_ends_failed_32003_within_the_timeout()
    {
        await using var node = await EmbeddedNode.StartAsync("callcluster.mi.request-timeout = 1s");
        await node.Simulator!.DisposeAsync();
        await using var client = await RpcTestClient.ConnectAsync(node.Endpoint);
        var started = DateTime.UtcNow;

        await client.SendAsync(new { jsonrpc = "2.0", id = 1, method = "CallEnd", @params = new { callid = "any-call" } });

        var messages = await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), TimeSpan.FromSeconds(15));
        var ended = messages[^1];
        Assert.Equal(("failed", -32003), (Str(ended, "params", "status"), Int(ended, "params", "error", "code")));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }
}
