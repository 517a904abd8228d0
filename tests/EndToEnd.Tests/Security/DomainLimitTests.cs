using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using CallCluster.Hosting.Security;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests.Security;

/// <summary>Issue 17: a token limited to a SIP domain cannot see or touch another domain's calls, nor subscribe to the
/// commands that made them (so none of their events reach it). The embedded default with two configured tokens.</summary>
public sealed class DomainLimitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 180_000)]
    public async Task A_domain_limited_token_sees_and_controls_only_its_domains_calls()
    {
        var operatorSecret = TokenSecret.Generate();
        var tenantSecret = TokenSecret.Generate();
        await using var node = await EmbeddedNode.StartAsync($$"""
            callcluster.security.tokens-env = "ops {{TokenSecret.Hash(operatorSecret)}} calls:read,calls:control; tenant-a {{TokenSecret.Hash(tenantSecret)}} calls:read,calls:control a.example"
            """);

        await using var ops = await RpcTestClient.ConnectAsync(node.Endpoint, operatorSecret);
        var startA = await CommandRun.RunAsync(ops, "CallStart", new { caller = "sip:alice@a.example", callee = "sip:bob@a.example" }, Timeout);
        var startB = await CommandRun.RunAsync(ops, "CallStart", new { caller = "sip:carol@b.example", callee = "sip:dave@b.example" }, Timeout);
        Assert.Equal("Ended ok", startA.Codes[^1]);
        Assert.Equal("Ended ok", startB.Codes[^1]);
        var callA = Str(startA.Event("CALL_START"), "params", "callid")!;
        var callB = Str(startB.Event("CALL_START"), "params", "callid")!;

        await using var tenant = await RpcTestClient.ConnectAsync(node.Endpoint, tenantSecret);

        var list = await RequestAsync(tenant, "CallList", new { limit = 1000 });
        var listed = list.GetProperty("result").GetProperty("calls").EnumerateArray().Select(c => Str(c, "callid")).ToList();
        Assert.Contains(callA, listed);
        Assert.DoesNotContain(callB, listed);

        Assert.Equal(-32001, ErrorCode(await RequestAsync(tenant, "CallGet", new { callid = callB })));
        Assert.Equal("sip:alice@a.example", Str((await RequestAsync(tenant, "CallGet", new { callid = callA })).GetProperty("result"), "caller"));
        Assert.Equal(-32001, ErrorCode(await RequestAsync(tenant, "CallHold", new { callid = callB })));
        Assert.Equal(-32001, ErrorCode(await RequestAsync(tenant, "CallEnd", new { callid = callB })));
        Assert.Equal(-32001, ErrorCode(await RequestAsync(tenant, "CommandGet", new { cmd_id = startB.CmdId })));
        Assert.Equal(-32001, ErrorCode(await RequestAsync(tenant, "CommandSubscribe", new { cmd_id = startB.CmdId, after_seq = 0 })));
        Assert.Equal(-32001, ErrorCode(await RequestAsync(tenant, "CallStart", new { caller = "sip:alice@a.example", callee = "sip:dave@b.example" })));

        // Its own domain: the command it may follow replays in full, and its call can be ended.
        await tenant.SendAsync(new { jsonrpc = "2.0", id = "sub", method = "CommandSubscribe", @params = new { cmd_id = startA.CmdId, after_seq = 0 } });
        var replay = await tenant.ReceiveUntilAsync(m => m.Any(x => Str(x, "method") == "Ended"), Timeout);
        Assert.Equal(startA.Notifications.Count + 1, replay.Count);
        var end = await CommandRun.RunAsync(tenant, "CallEnd", new { callid = callA }, Timeout);
        Assert.Equal("Ended ok", end.Codes[^1]);

        // The other domain's call is still up: the tenant's refusals touched nothing.
        var b = await RequestAsync(ops, "CallGet", new { callid = callB });
        Assert.Equal("confirmed", Str(b.GetProperty("result"), "state"));
    }

    private static async Task<JsonElement> RequestAsync(RpcTestClient client, string method, object parameters)
    {
        var id = Guid.NewGuid().ToString("N");
        await client.SendAsync(new { jsonrpc = "2.0", id, method, @params = parameters });
        var messages = await client.ReceiveUntilAsync(m => m.Any(x => Str(x, "id") == id), Timeout);
        return messages.Single(x => Str(x, "id") == id);
    }

    private static int ErrorCode(JsonElement reply) =>
        reply.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : throw new Xunit.Sdk.XunitException("not an error: " + reply.GetRawText());
}
