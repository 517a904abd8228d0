using Akka.Actor;
using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>CallEnd through the whole embedded product: WebSocket → gateway → command shard → MI pool → simulator
/// (real UDP) → EVI listener → dialog shard → command → notifications.</summary>
public sealed class CallEndTests(EmbeddedNodeFixture fixture) : IClassFixture<EmbeddedNodeFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private EmbeddedNode Node => fixture.Node;

    [Fact]
    public async Task CallEnd_on_a_live_call_ends_ok_after_the_proxy_reports_state_5()
    {
        var callId = await Node.Simulator!.PlaceCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);

        await client.SendAsync(new { jsonrpc = "2.0", id = "end-1", method = "CallEnd", @params = new { callid = callId } });

        var messages = await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);
        var reply = messages[0];
        Assert.Equal("end-1", Str(reply, "id"));
        Assert.Equal("Started", Str(reply, "result", "status"));
        var cmdId = Str(reply, "result", "cmd_id");
        Assert.False(string.IsNullOrEmpty(cmdId));

        Assert.Equal(3, messages.Count);
        Assert.Equal(("Event", cmdId, 1, "CALL_END", callId),
            (Str(messages[1], "method"), Str(messages[1], "params", "cmd_id"), Int(messages[1], "params", "seq"),
                Str(messages[1], "params", "data"), Str(messages[1], "params", "callid")));
        Assert.Equal(("Ended", cmdId, 2, "ok"),
            (Str(messages[2], "method"), Str(messages[2], "params", "cmd_id"), Int(messages[2], "params", "seq"),
                Str(messages[2], "params", "status")));
    }

    [Fact]
    public async Task CallEnd_on_an_unknown_call_ends_failed_with_32001()
    {
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);

        await client.SendAsync(new { jsonrpc = "2.0", id = 7, method = "CallEnd", @params = new { callid = "no-such-call-id" } });

        var messages = await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);
        Assert.Equal("7", Str(messages[0], "id"));
        var ended = messages[^1];
        Assert.Equal(("failed", -32001), (Str(ended, "params", "status"), Int(ended, "params", "error", "code")));
        Assert.Contains("404", Str(ended, "params", "error", "message"));
    }

    /// <summary>Issue 16: commands on made-up call ids (a typo, or a client trying to fill the node's memory) end failed
    /// -32001 after asking the proxy, and leave no dialog entity behind: the dialog region's entity count (what the
    /// <c>callcluster_entities{type="dialog"}</c> metric reports) comes back to where it was.</summary>
    [Fact]
    public async Task Commands_on_made_up_call_ids_end_failed_32001_and_leave_no_dialog_entity_behind()
    {
        const int PerMethod = 20;
        var dialogs = Akka.Cluster.Sharding.ClusterSharding.Get(Node.Host.System).ShardRegion(CallCluster.Contracts.Sharding.ShardRegions.Dialog);
        async Task<int> DialogEntitiesAsync()
        {
            var state = await dialogs.Ask<Akka.Cluster.Sharding.CurrentShardRegionState>(
                Akka.Cluster.Sharding.GetShardRegionState.Instance, Timeout);
            return state.Shards.Sum(shard => shard.EntityIds.Count);
        }

        var before = await DialogEntitiesAsync();
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);
        var methods = new (string Method, Func<string, object> Params)[]
        {
            ("CallEnd", id => new { callid = id }),
            ("CallHold", id => new { callid = id }),
            ("CallBlindTransfer", id => new { callid = id, leg = "callee", destination = "sip:carol@127.0.0.1" }),
        };
        var sent = 0;
        foreach (var (method, parameters) in methods)
        {
            for (var i = 0; i < PerMethod; i++, sent++)
            {
                await client.SendAsync(new { jsonrpc = "2.0", id = sent, method, @params = parameters($"made-up-{method}-{i}-{Guid.NewGuid():N}") });
            }
        }

        var messages = await client.ReceiveUntilAsync(m => m.Count(x => IsNotification(x, "Ended")) == sent, TimeSpan.FromSeconds(60));
        var ended = messages.Where(x => IsNotification(x, "Ended")).ToList();
        Assert.Equal(sent, ended.Count);
        Assert.All(ended, e => Assert.Equal(("failed", -32001), (Str(e, "params", "status"), Int(e, "params", "error", "code"))));
        // Asked the proxy: its "not found" answer (404) is in the message.
        Assert.All(ended, e => Assert.Contains("404", Str(e, "params", "error", "message")));

        // Entities passivate once their command has detached; bounded wait, no sleeping.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        int after;
        while ((after = await DialogEntitiesAsync()) > before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(after <= before, $"dialog entities: {before} before, {after} 30 s after {sent} commands on made-up call ids");
    }

    [Fact]
    public async Task Hundred_CallEnds_in_flight_on_one_connection_are_paired_correctly()
    {
        const int count = 100;
        var simulator = Node.Simulator!;
        var callIds = await Task.WhenAll(Enumerable.Range(0, count)
            .Select(i => simulator.PlaceCallAsync($"sip:caller{i}@127.0.0.1", $"sip:callee{i}@127.0.0.1")));
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);

        for (var i = 0; i < count; i++)
        {
            await client.SendAsync(new { jsonrpc = "2.0", id = "req-" + i, method = "CallEnd", @params = new { callid = callIds[i] } });
        }

        var messages = await client.ReceiveUntilAsync(m => m.Count(x => IsNotification(x, "Ended")) == count, TimeSpan.FromSeconds(60));

        var callIdByCmd = new Dictionary<string, string>();
        var seen = new Dictionary<string, List<JsonElement>>();
        foreach (var message in messages)
        {
            if (IsReply(message))
            {
                var index = int.Parse(Str(message, "id")!["req-".Length..]);
                var cmdId = Str(message, "result", "cmd_id")!;
                Assert.True(callIdByCmd.TryAdd(cmdId, callIds[index]), "cmd_id given twice: " + cmdId);
                seen[cmdId] = [];
                continue;
            }

            var owner = Str(message, "params", "cmd_id")!;
            Assert.True(seen.ContainsKey(owner), "notification before its command's reply: " + message.GetRawText());
            seen[owner].Add(message);
        }

        Assert.Equal(count, callIdByCmd.Count);
        foreach (var (cmdId, notifications) in seen)
        {
            Assert.Equal([1, 2], notifications.Select(n => Int(n, "params", "seq")));
            Assert.Equal(callIdByCmd[cmdId], Str(notifications[0], "params", "callid"));
            Assert.Equal("ok", Str(notifications[1], "params", "status"));
        }
    }

    [Fact]
    public async Task A_reconnecting_client_replays_an_ended_command_with_CommandSubscribe()
    {
        string cmdId;
        await using (var first = await RpcTestClient.ConnectAsync(Node.Endpoint))
        {
            await first.SendAsync(new { jsonrpc = "2.0", id = 1, method = "CallEnd", @params = new { callid = "gone-already", cmd_id = "replay-me" } });
            var messages = await first.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);
            cmdId = Str(messages[0], "result", "cmd_id")!;
            Assert.Equal("replay-me", cmdId);
        }

        await using var second = await RpcTestClient.ConnectAsync(Node.Endpoint);
        await second.SendAsync(new { jsonrpc = "2.0", id = 2, method = "CommandSubscribe", @params = new { cmd_id = cmdId, after_seq = 0 } });

        var replay = await second.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);
        Assert.Equal("2", Str(replay[0], "id"));
        var ended = replay[^1];
        Assert.Equal((cmdId, 1, "failed"), (Str(ended, "params", "cmd_id"), Int(ended, "params", "seq"), Str(ended, "params", "status")));

        // Issue 16: an after_seq beyond the last notification names nothing that will ever come: -32602 with the last
        // seq (the real command entity's), and nothing is replayed (the next frame is the next request's reply).
        await second.SendAsync(new { jsonrpc = "2.0", id = 3, method = "CommandSubscribe", @params = new { cmd_id = cmdId, after_seq = 6 } });
        var refused = await second.ReceiveAsync(Timeout);
        Assert.Equal(("3", -32602), (Str(refused, "id"), Int(refused, "error", "code")));
        Assert.Contains("(last seq 1)", Str(refused, "error", "data"));
        await second.SendAsync(new { jsonrpc = "2.0", id = 4, method = "CommandSubscribe", @params = new { cmd_id = cmdId, after_seq = 1 } });
        var atLast = await second.ReceiveAsync(Timeout);
        Assert.Equal(("4", 1), (Str(atLast, "id"), Int(atLast, "result", "last_seq")));
    }

    [Fact]
    public async Task Repeating_a_cmd_id_with_the_same_params_starts_nothing_new()
    {
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);
        var request = new { jsonrpc = "2.0", id = 1, method = "CallEnd", @params = new { callid = "idem-call", cmd_id = "idem-1" } };
        await client.SendAsync(request);
        await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);

        await client.SendAsync(request);
        var again = await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);
        Assert.Equal("idem-1", Str(again[0], "result", "cmd_id"));
        Assert.Equal(1, Int(again[^1], "params", "seq"));

        await client.SendAsync(new { jsonrpc = "2.0", id = 2, method = "CallEnd", @params = new { callid = "other-call", cmd_id = "idem-1" } });
        var conflict = await client.ReceiveAsync(Timeout);
        Assert.Equal(-32602, Int(conflict, "error", "code"));
    }

    [Fact]
    public async Task Protocol_errors_come_back_through_the_real_stack_and_keep_the_connection_open()
    {
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);

        await client.SendAsync("{not json");
        Assert.Equal(-32700, Int(await client.ReceiveAsync(Timeout), "error", "code"));
        await client.SendAsync(new { jsonrpc = "1.0", id = 1, method = "CallEnd" });
        Assert.Equal(-32600, Int(await client.ReceiveAsync(Timeout), "error", "code"));
        await client.SendAsync(new { jsonrpc = "2.0", id = 2, method = "NoSuchMethod", @params = new { } });
        Assert.Equal(-32601, Int(await client.ReceiveAsync(Timeout), "error", "code"));
        await client.SendAsync(new { jsonrpc = "2.0", id = 3, method = "CallEnd", @params = new { } });
        var invalid = await client.ReceiveAsync(Timeout);
        Assert.Equal(-32602, Int(invalid, "error", "code"));
        Assert.Contains("callid", Str(invalid, "error", "data"));

        await client.SendAsync("""[{"jsonrpc":"2.0","id":"b1","method":"CallEnd","params":{"callid":"batch-unknown"}},{"jsonrpc":"2.0","id":"b2","method":"Nope"}]""");
        var batch = await client.ReceiveAsync(Timeout);
        Assert.Equal(JsonValueKind.Array, batch.ValueKind);
        var replies = batch.EnumerateArray().ToDictionary(r => Str(r, "id")!);
        Assert.Equal("Started", Str(replies["b1"], "result", "status"));
        Assert.Equal(-32601, Int(replies["b2"], "error", "code"));
        var ended = await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);
        Assert.Equal(Str(replies["b1"], "result", "cmd_id"), Str(ended[^1], "params", "cmd_id"));
    }
}
