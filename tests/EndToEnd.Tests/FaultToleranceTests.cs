using CallCluster.EndToEnd.Tests.Support;
using Xunit.Abstractions;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>With the simulator dropping and reordering a share of its events and MI replies, every command still
/// reaches Ended (ok, or failed with a reason), with contiguous seq numbers: nothing hangs.</summary>
public sealed class FaultToleranceTests(ITestOutputHelper output)
{
    private const string FaultyProxy = """
        callcluster.simulator.fault-drop-share = 0.15
        callcluster.simulator.fault-reorder-share = 0.3
        callcluster.simulator.fault-seed = 4242
        callcluster.simulator.transaction-timeout = 2s
        callcluster.mi.request-timeout = 1s
        callcluster.mi.invite-timeout = 4s
        callcluster.commands.confirm-timeout = 1s
        callcluster.commands.transfer-start-timeout = 2s
        callcluster.commands.transfer-answer-timeout = 4s
        callcluster.commands.end-confirm-timeout = 2s
        callcluster.commands.hold-timeout = 3s
        """;

    [Fact]
    public async Task Every_command_ends_when_events_and_replies_are_dropped_and_reordered()
    {
        await using var node = await EmbeddedNode.StartAsync(FaultyProxy);
        var simulator = node.Simulator!;
        var calls = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => simulator.PlaceCallAsync($"sip:f{i}@127.0.0.1", $"sip:g{i}@127.0.0.1")));
        await using var client = await RpcTestClient.ConnectAsync(node.Endpoint);

        var requests = new List<object>();
        for (var i = 0; i < 30; i++)
        {
            requests.Add(new { jsonrpc = "2.0", id = "start-" + i, method = "CallStart", @params = new { caller = $"sip:s{i}@127.0.0.1", callee = $"sip:t{i}@127.0.0.1" } });
        }

        for (var i = 0; i < 10; i++)
        {
            requests.Add(new { jsonrpc = "2.0", id = "hold-" + i, method = "CallHold", @params = new { callid = calls[i] } });
            requests.Add(new { jsonrpc = "2.0", id = "end-" + i, method = "CallEnd", @params = new { callid = calls[10 + i] } });
        }

        foreach (var request in requests)
        {
            await client.SendAsync(request);
        }

        var messages = await client.ReceiveUntilAsync(m => m.Count(x => IsNotification(x, "Ended")) == requests.Count, TimeSpan.FromSeconds(90));

        var outcomes = messages.Where(m => IsNotification(m, "Ended"))
            .GroupBy(m => Str(m, "params", "status") + " " + (Str(m, "params", "error", "message") ?? "")).Select(g => $"{g.Count()} x {g.Key}");
        output.WriteLine(string.Join("\n", outcomes));
        var accepted = messages.Where(IsReply).Select(r => Str(r, "result", "cmd_id")!).ToHashSet();
        Assert.Equal(requests.Count, accepted.Count);
        foreach (var group in messages.Where(m => !IsReply(m)).GroupBy(m => Str(m, "params", "cmd_id")!))
        {
            Assert.Contains(group.Key, accepted);
            Assert.Equal(Enumerable.Range(1, group.Count()), group.Select(n => Int(n, "params", "seq")));
            var ended = group.Last();
            Assert.Equal("Ended", Str(ended, "method"));
            if (Str(ended, "params", "status") == "failed")
            {
                Assert.False(string.IsNullOrWhiteSpace(Str(ended, "params", "error", "message")));
            }
        }
    }
}
