using System.Text.Json.Nodes;
using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>mi_datagram transport behaviour, each case against a real UDP socket.</summary>
public sealed class MiTransportTests : IAsyncLifetime
{
    private SimHarness _h = null!;
    public async Task InitializeAsync() => _h = await SimHarness.StartAsync(subscribe: false);
    public async Task DisposeAsync() => await _h.DisposeAsync();

    private const string Version = "{\"Server\":\"OpenSIPS (4.0.1 (x86_64/linux))\"}";

    [Fact]
    public async Task Version_reply_has_exact_key_order_and_text()
    {
        var r = await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":8756904}");
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"result\":" + Version + ",\"id\":8756904}", r);
    }

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"dlg_list\",\"id\":1")]
    [InlineData("hello opensips")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":1} trailing")]
    public async Task Invalid_json_gives_plain_parse_error(string raw) =>
        Assert.Equal("400 Parse_error", await _h.Mi.RawAsync(raw));

    [Theory]
    [InlineData("{\"jsonrpc\":\"1.0\",\"method\":\"version\",\"id\":8}", "8")]
    [InlineData("{\"method\":\"version\",\"id\":9}", "9")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"params\":\"x\",\"id\":10}", "10")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":true}", "null")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":{\"a\":1}}", "null")]
    [InlineData("[1,2]", "null")]
    public async Task Not_json_rpc_gives_invalid_request(string raw, string id) =>
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Invalid Request\"},\"id\":" + id + "}", await _h.Mi.RawAsync(raw));

    [Theory]
    [InlineData("\"abc-1\"", "\"abc-1\"")]
    [InlineData("null", "null")]
    [InlineData("1.7", "1")]
    [InlineData("3000000000", "2147483647")]
    [InlineData("-3000000000", "-2147483648")]
    [InlineData("42", "42")]
    public async Task Id_is_echoed_like_opensips(string sent, string echoed) =>
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"result\":" + Version + ",\"id\":" + echoed + "}",
            await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":" + sent + "}"));

    [Fact]
    public async Task Request_without_method_is_dropped_and_server_survives()
    {
        // A real 4.0.1 segfaults here (capture x_crash_no_method); the simulator drops it and keeps serving.
        _h.Mi.SendRaw("{\"jsonrpc\":\"2.0\",\"id\":7}");
        _h.Mi.SendRaw("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":8}");
        var next = await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":9}");
        Assert.EndsWith("\"id\":9}", next);
    }

    [Fact]
    public async Task Notification_runs_but_gets_no_reply()
    {
        _h.Mi.SendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"version\"}");
        _h.Mi.SendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"no_such\"}");
        var next = await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":\"after\"}");
        Assert.EndsWith("\"id\":\"after\"}", next);
    }

    [Fact]
    public async Task Notification_side_effects_happen()
    {
        using var listener = new EventListener();
        _h.Mi.SendRaw($"{{\"jsonrpc\":\"2.0\",\"method\":\"event_subscribe\",\"params\":{{\"event\":\"E_CALL_HOLD\",\"socket\":\"{listener.SocketText}\"}}}}");
        var r = await _h.Mi.ResultAsync("subscribers_list", new { @event = "E_CALL_HOLD" });
        Assert.Equal(listener.SocketText, (string?)r!["Event"]!["Subscribers"]![0]!["socket"]);
    }

    [Fact]
    public async Task Unknown_method_gives_32601() =>
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":3}",
            await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"no_such_command\",\"params\":{\"a\":\"b\"},\"id\":3}"));

    [Theory]
    [InlineData("call_transfer", "{\"callid\":\"x\",\"leg\":\"callee\"}", "Too few or too many parameters")]
    [InlineData("call_transfer", "{\"callid\":\"x\",\"leg\":\"callee\",\"dest\":\"sip:a@b\"}", "Named parameters do not match")]
    [InlineData("dlg_list", "[\"x\"]", "Command only supports named parameters")]
    [InlineData("t_uac_dlg", "[\"INVITE\",\"sip:a@b\",\"From: <sip:a@b>\\r\\n\"]", "Command only supports named parameters")]
    [InlineData("event_subscribe", "{\"event\":\"E_CALL_HOLD\"}", "Too few or too many parameters")]
    [InlineData("event_subscribe", "{\"event\":\"E_CALL_HOLD\",\"socket\":\"udp:127.0.0.1:9\",\"expire\":\"abc\"}", "Bad type for parameter 'expire'")]
    [InlineData("event_subscribe", "{\"event\":\"E_CALL_HOLD\",\"socket\":\"udp:127.0.0.1:9\",\"expire\":-5}", "Negative expire value")]
    [InlineData("version", "{\"x\":1}", "Too few or too many parameters")]
    public async Task Recipe_mismatch_gives_32602(string method, string parameters, string data) =>
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"Invalid params\",\"data\":\"" + data.Replace("'", "'") + "\"},\"id\":4}",
            await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\",\"params\":" + parameters + ",\"id\":4}"));

    [Fact]
    public async Task Positional_params_accepted_where_recipes_allow()
    {
        var r = await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"dlg_end_dlg\",\"params\":[\"no-such-call-id\"],\"id\":8743447}");
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":404,\"message\":\"Requested Dialog not found\"},\"id\":8743447}", r);
    }

    [Fact]
    public async Task Reply_bigger_than_datagram_buffer_is_plain_500()
    {
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { AnswerDelay = TimeSpan.FromMilliseconds(1) }, subscribe: false);
        var calls = Enumerable.Range(0, 120).Select(i => h.Sim.PlaceCallAsync($"sip:a{i}@127.0.0.1", $"sip:b{i}@127.0.0.1"));
        await Task.WhenAll(calls);
        Assert.Equal("500 Internal error", await h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"dlg_list\",\"id\":1}"));
        // Paging still works.
        var page = await h.Mi.ResultAsync("dlg_list", new { index = 0, counter = 10 });
        Assert.Equal(120, (int)page!["count"]!);
        Assert.Equal(10, page["Dialogs"]!.AsArray().Count);
    }

    [Fact]
    public async Task Canonical_40_names_are_aliases()
    {
        Assert.Equal("{\"Dialogs\":[]}", (await _h.Mi.ResultAsync("dialog:list"))!.ToJsonString());
        var r = await _h.Mi.CallAsync("callops:hold", new { callid = "none" });
        Assert.Equal(404, (int)r["error"]!["code"]!);
        Assert.Equal("{\"Events\":[]}", (await _h.Mi.ResultAsync("evi:subscribers"))!.ToJsonString());
    }

    [Fact]
    public async Task Bare_local_names_resolve_when_unique_and_are_ambiguous_otherwise()
    {
        var r = await _h.Mi.RawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"list\",\"id\":5}");
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"Method ambiguous\",\"data\":\"supported names: evi:list, dialog:list\"},\"id\":5}", r);
        var end = await _h.Mi.CallAsync("end_dlg", new { dialog_id = "none" });
        Assert.Equal(404, (int)end["error"]!["code"]!);
    }

    [Fact]
    public async Task Pipelined_requests_each_get_exactly_their_own_reply()
    {
        // Correctness under pipelining (64 in flight, windowed so the client's socket buffer is not overrun); speed figures
        // belong to bench/SimulatorBench, not to a test.
        const int windows = 40, window = 64;
        var seen = new HashSet<int>();
        for (var w = 0; w < windows; w++)
        {
            for (var i = 0; i < window; i++) _h.Mi.SendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":" + (w * window + i) + "}");
            for (var i = 0; i < window; i++)
            {
                var reply = await _h.Mi.ReceiveAsync(TimeSpan.FromSeconds(5));
                Assert.NotNull(reply);
                var id = (int)JsonNode.Parse(reply)!["id"]!;
                Assert.True(seen.Add(id), $"duplicate reply for id {id}");
                Assert.Equal("{\"jsonrpc\":\"2.0\",\"result\":" + Version + ",\"id\":" + id + "}", reply);
            }
        }
        Assert.Equal(Enumerable.Range(0, windows * window), seen.Order());
    }
}
