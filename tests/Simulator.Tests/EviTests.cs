using System.Text.Json.Nodes;
using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>event_subscribe / events_list / subscribers_list and event delivery.</summary>
public sealed class EviTests : IAsyncLifetime
{
    private SimHarness _h = null!;
    public async Task InitializeAsync() => _h = await SimHarness.StartAsync(subscribe: false);
    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Events_list_is_exactly_the_captured_one()
    {
        var expected = Captures.Load("a_subscribe").First(l => l.Dir == "mi_reply").Raw;
        var r = await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"events_list\",\"id\":8743401}");
        Assert.Equal(expected, r);
        var alias = await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"evi:list\",\"id\":8743401}");
        Assert.Equal(expected, alias);
    }

    [Theory]
    [InlineData("E_NO_SUCH_EVENT", "udp:127.0.0.1:9")]
    [InlineData("E_CALL_HOLD", "tcp:127.0.0.1:9")]
    [InlineData("E_CALL_HOLD", "udp:127.0.0.1")]
    [InlineData("E_CALL_HOLD", "udp:127.0.0.1:notaport")]
    [InlineData("E_CALL_HOLD", "unix:/tmp/x")]
    [InlineData("E_CALL_HOLD", "udp:no-such-host.invalid:9")]
    public async Task Bad_event_or_socket_gives_400(string ev, string socket)
    {
        var r = await _h.Mi.CallAsync("event_subscribe", new { @event = ev, socket });
        Assert.Equal("{\"code\":400,\"message\":\"Bad parameter value\"}", r["error"]!.ToJsonString());
    }

    [Fact]
    public async Task Subscribe_list_refresh_unsubscribe()
    {
        using var l = new EventListener();
        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_CALL_TRANSFER", socket = l.SocketText, expire = 600 }));
        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_DLG_STATE_CHANGED", socket = l.SocketText }));

        var all = (await _h.Mi.ResultAsync("subscribers_list"))!;
        var events = all["Events"]!.AsArray();
        Assert.Equal(["E_DLG_STATE_CHANGED", "E_CALL_TRANSFER"], events.Select(e => (string)e!["name"]!));
        Assert.Equal([8, 9], events.Select(e => (int)e!["id"]!));
        var dlgSub = events[0]!["Subscribers"]![0]!;
        Assert.Equal(3600, (int)dlgSub["expire"]!);
        Assert.InRange((int)dlgSub["ttl"]!, 3598, 3600);

        var one = (await _h.Mi.ResultAsync("subscribers_list", new { @event = "E_CALL_TRANSFER" }))!;
        Assert.Equal("E_CALL_TRANSFER", (string?)one["Event"]!["name"]);
        Assert.Equal(600, (int)one["Event"]!["Subscribers"]![0]!["expire"]!);

        var sub = (await _h.Mi.ResultAsync("subscribers_list", new { @event = "E_CALL_TRANSFER", socket = l.SocketText }))!;
        Assert.Equal(l.SocketText, (string?)sub["Event"]!["Subscriber"]!["socket"]);
        var missing = await _h.Mi.CallAsync("subscribers_list", new { @event = "E_CALL_TRANSFER", socket = "udp:127.0.0.1:1" });
        Assert.Equal("{\"code\":404,\"message\":\"Subscriber does not exist\"}", missing["error"]!.ToJsonString());
        var none = (await _h.Mi.ResultAsync("subscribers_list", new { @event = "E_CALL_HOLD" }))!;
        Assert.Equal("{\"Event\":{}}", none.ToJsonString());
        var unknown = await _h.Mi.CallAsync("subscribers_list", new { @event = "E_NOPE" });
        Assert.Equal("{\"code\":404,\"message\":\"Event not published\"}", unknown["error"]!.ToJsonString());

        // Refresh with the very same socket text: still one subscriber, new expire.
        await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_CALL_TRANSFER", socket = l.SocketText, expire = 300 });
        var refreshed = (await _h.Mi.ResultAsync("subscribers_list", new { @event = "E_CALL_TRANSFER" }))!["Event"]!["Subscribers"]!.AsArray();
        Assert.Single(refreshed);
        Assert.Equal(300, (int)refreshed[0]!["expire"]!);

        // A different text for the same address is another subscriber.
        await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_CALL_TRANSFER", socket = $"udp:localhost:{l.Port}", expire = 300 });
        Assert.Equal(2, (await _h.Mi.ResultAsync("subscribers_list", new { @event = "E_CALL_TRANSFER" }))!["Event"]!["Subscribers"]!.AsArray().Count);

        // Unsubscribe: shown as expired within the same second, then gone.
        await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_CALL_TRANSFER", socket = l.SocketText, expire = 0 });
        var after = (await _h.Mi.ResultAsync("subscribers_list", new { @event = "E_CALL_TRANSFER" }))!["Event"]!["Subscribers"]!.AsArray();
        var mine = after.FirstOrDefault(s => (string?)s!["socket"] == l.SocketText);
        if (mine is not null)
        {
            Assert.Equal(0, (int)mine["expire"]!);
            Assert.Equal("expired", (string?)mine["ttl"]);
        }
        // Unsubscribing a never-subscribed socket is harmless.
        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_CALL_HOLD", socket = "udp:127.0.0.1:2", expire = 0 }));
    }

    [Fact]
    public async Task Subscriber_expires_silently()
    {
        using var l = new EventListener();
        await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_DLG_STATE_CHANGED", socket = l.SocketText, expire = 1 });
        // Bounded poll: gone once now > subscribe time + 1 s (whole seconds, so at most ~2 s).
        JsonNode? r = null;
        for (var i = 0; i < 40; i++)
        {
            r = await _h.Mi.ResultAsync("subscribers_list", new { @event = "E_DLG_STATE_CHANGED" });
            if (r!.ToJsonString() == "{\"Event\":{}}") break;
            await Task.Delay(100);
        }
        Assert.Equal("{\"Event\":{}}", r!.ToJsonString());
        await _h.Mi.ResultAsync("sim_call", new { from = "sip:alice@127.0.0.1", to = "sip:bob@127.0.0.1" });
        Assert.True(await l.QuietAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Events_are_compact_json_rpc_from_changing_ports()
    {
        using var l = new EventListener();
        await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_DLG_STATE_CHANGED", socket = l.SocketText });
        await _h.Mi.ResultAsync("sim_call", new { from = "sip:alice@127.0.0.1", to = "sip:bob@127.0.0.1" });
        var evs = await l.TakeAsync(3);
        Assert.All(evs, e =>
        {
            Assert.StartsWith("{\"jsonrpc\":\"2.0\",\"method\":\"E_DLG_STATE_CHANGED\",\"params\":{\"id\":\"", e.Raw);
            Assert.DoesNotContain(" ", e.Raw);
            Assert.Null(e.Json["id"]);
            Assert.Equal(["id", "db_id", "callid", "from_tag", "to_tag", "old_state", "new_state"], e.Params.Select(p => p.Key));
        });
        Assert.True(evs.Select(e => e.SourcePort).Distinct().Count() > 1, "events should come from changing source ports");
    }

    [Fact]
    public async Task Two_socket_texts_get_every_event_twice()
    {
        using var l = new EventListener();
        await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_DLG_STATE_CHANGED", socket = l.SocketText });
        await _h.Mi.ResultAsync("event_subscribe", new { @event = "E_DLG_STATE_CHANGED", socket = $"udp:localhost:{l.Port}" });
        await _h.Mi.ResultAsync("sim_call", new { from = "sip:alice@127.0.0.1", to = "sip:bob@127.0.0.1" });
        var evs = await l.TakeAsync(6);
        Assert.Equal(2, evs.Count(e => e.P("new_state") == "4"));
    }
}
