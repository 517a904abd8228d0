using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>CallGet names the state and lists the CallStart that created a call; CallList pages with limit/cursor.</summary>
[Collection(Compat.CompatNodeCollection.Name)]
public sealed class CallListTests(FastTimersNodeFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private EmbeddedNode Node => fixture.Node;

    [Fact]
    public async Task CallGet_of_a_call_made_by_CallStart_lists_that_CallStart_and_its_parties()
    {
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);
        var run = await CommandRun.RunAsync(client, "CallStart", new { caller = "sip:cl-alice@127.0.0.1", callee = "sip:cl-bob@127.0.0.1" }, Timeout);
        Assert.Equal("Ended ok", run.Codes[^1]);
        var newCall = Str(run.Event("CALL_START"), "params", "callid")!;

        await client.SendAsync(new { jsonrpc = "2.0", id = "g", method = "CallGet", @params = new { callid = newCall } });
        var result = (await client.ReceiveAsync(Timeout)).GetProperty("result");

        Assert.Equal(("confirmed", 4), (Str(result, "state"), Int(result, "state_code")));
        Assert.Contains(run.CmdId, result.GetProperty("cmd_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(("sip:cl-alice@127.0.0.1", "sip:cl-bob@127.0.0.1"), (Str(result, "caller"), Str(result, "callee")));
        Assert.True(DateTimeOffset.TryParse(Str(result, "started_at"), out _));

        // The placeholder call it ended: listed with the same command, state ended.
        var placeholder = Str(run.Event("CALL_ANSWER"), "params", "callid")!;
        await client.SendAsync(new { jsonrpc = "2.0", id = "p", method = "CallGet", @params = new { callid = placeholder } });
        var ph = (await client.ReceiveAsync(Timeout)).GetProperty("result");
        Assert.Equal("ended", Str(ph, "state"));
        Assert.Contains(run.CmdId, ph.GetProperty("cmd_ids").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task CallList_pages_in_callid_order_and_every_active_call_appears_once()
    {
        var placed = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            placed.Add(await Node.Simulator!.PlaceCallAsync($"sip:cl-p{i}@127.0.0.1", $"sip:cl-q{i}@127.0.0.1"));
        }

        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);
        // A phone's call reaches the cluster by EVI after its 200 OK: listing at once raced the dialog entities.
        foreach (var id in placed)
        {
            await WaitUntilKnownAsync(client, id);
        }

        var seen = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 100; page++)
        {
            object parameters = cursor is null ? new { limit = 2 } : new { limit = 2, cursor };
            await client.SendAsync(new { jsonrpc = "2.0", id = page, method = "CallList", @params = parameters });
            var result = (await client.ReceiveAsync(Timeout)).GetProperty("result");
            var calls = result.GetProperty("calls").EnumerateArray().ToList();
            Assert.True(calls.Count <= 2);
            Assert.All(calls, c => Assert.NotEqual("ended", Str(c, "state")));
            seen.AddRange(calls.Select(c => Str(c, "callid")!));
            if (result.GetProperty("next_cursor").ValueKind == System.Text.Json.JsonValueKind.Null)
            {
                break;
            }

            cursor = result.GetProperty("next_cursor").GetString();
        }

        Assert.All(placed, id => Assert.Contains(id, seen));
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);

        await client.SendAsync(new { jsonrpc = "2.0", id = "bad", method = "CallList", @params = new { cursor = "!!not-a-cursor" } });
        Assert.Equal(-32602, Int(await client.ReceiveAsync(Timeout), "error", "code"));
    }

    /// <summary>CallGet until the call is no longer unknown (-32001), within <see cref="Timeout"/>.</summary>
    private static async Task WaitUntilKnownAsync(RpcTestClient client, string callId)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            await client.SendAsync(new { jsonrpc = "2.0", id = "known", method = "CallGet", @params = new { callid = callId } });
            if ((await client.ReceiveAsync(Timeout)).TryGetProperty("result", out _))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"call {callId} still unknown after {Timeout}");
            await Task.Delay(50);
        }
    }
}
