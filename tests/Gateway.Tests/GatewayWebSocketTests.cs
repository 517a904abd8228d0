using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests;

/// <summary>Real WebSocket tests: a GatewayServer on 127.0.0.1:0 against <see cref="FakeCommandRegion"/>.</summary>
public sealed class GatewayWebSocketTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = INFO", output)
{
    private static readonly GatewaySettings Base = GatewaySettings.Default with { Host = "127.0.0.1", Port = 0, AskTimeout = TimeSpan.FromSeconds(5) };
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private async Task<(GatewayServer Server, TestProbe Region)> StartAsync(GatewaySettings? settings = null)
    {
        var probe = CreateTestProbe();
        var region = Sys.ActorOf(Props.Create(() => new FakeCommandRegion(probe.Ref)));
        var server = await GatewayServer.StartAsync(Sys, region, settings ?? Base);
        return (server, probe);
    }

    private static string End(string id, string callid, string? cmdId = null) =>
        $$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"CallEnd","params":{"callid":"{{{callid}}}"{{{(cmdId is null ? "" : $",\"cmd_id\":\"{cmdId}\"")}}}}}""";

    private static void AssertError(JsonElement reply, string id, int code, string? dataContains = null)
    {
        Assert.Equal("2.0", reply.GetProperty("jsonrpc").GetString());
        Assert.Equal(id, reply.GetProperty("id").GetRawText());
        var error = reply.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.False(reply.TryGetProperty("result", out _));
        if (dataContains is not null)
        {
            Assert.Contains(dataContains, error.GetProperty("data").GetString());
        }
    }

    private static string AssertStarted(JsonElement reply, string id)
    {
        Assert.Equal(id, reply.GetProperty("id").GetRawText());
        var result = reply.GetProperty("result");
        Assert.Equal("Started", result.GetProperty("status").GetString());
        return result.GetProperty("cmd_id").GetString()!;
    }

    private static (string Method, string CmdId, int Seq) Note(JsonElement n) =>
        (n.GetProperty("method").GetString()!, n.GetProperty("params").GetProperty("cmd_id").GetString()!,
            n.GetProperty("params").GetProperty("seq").GetInt32());

    [Fact]
    public async Task Every_error_case_is_answered_over_the_wire_and_the_connection_stays_open()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        AssertError(await client.CallAsync("{not json"), "null", ErrorCodes.ParseError);
        AssertError(await client.CallAsync("""{"jsonrpc":"1.0","id":1,"method":"CallEnd","params":{"callid":"x"}}"""), "1", ErrorCodes.InvalidRequest);
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":2,"method":7}"""), "2", ErrorCodes.InvalidRequest, "method");
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":3,"method":"CallEnd","params":["x"]}"""), "3", ErrorCodes.InvalidRequest, "params");
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":{"x":1},"method":"CallEnd","params":{"callid":"x"}}"""), "null", ErrorCodes.InvalidRequest, "id");
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":"u","method":"CallDance","params":{}}"""), "\"u\"", ErrorCodes.MethodNotFound);
        // Enabled, but this gateway was started without the dialog region that serves it.
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":4,"method":"CallList","params":{}}"""),
            "4", ErrorCodes.ServerError, "CallList is not implemented by this gateway");
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":5,"method":"CallEnd","params":{}}"""), "5", ErrorCodes.InvalidParams, "callid");
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":6,"method":"CallEnd","params":{"callid":"x","extra":"1"}}"""), "6", ErrorCodes.InvalidParams, "extra");
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":7,"method":"CommandSubscribe","params":{"cmd_id":"x","after_seq":-1}}"""), "7", ErrorCodes.InvalidParams, "after_seq");
        AssertError(await client.CallAsync("[]"), "null", ErrorCodes.InvalidRequest);
        await client.SendAsync([1, 2, 3], WebSocketMessageType.Binary);
        AssertError(await client.ReceiveAsync(), "null", ErrorCodes.InvalidRequest, "binary");

        // A notification with an error gets no reply: the next message is the reply to the next request.
        await client.SendAsync("""{"jsonrpc":"2.0","method":"CallDance"}""");
        AssertError(await client.CallAsync(End("8", "reject")), "8", ErrorCodes.CallUnknown, "no dialog reject");
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task A_command_gets_its_reply_then_its_notifications_and_ids_are_echoed_exactly()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        foreach (var id in new[] { "\"abc\"", "42", "1.50", "null" })
        {
            var reply = await client.CallAsync(End(id, "call-1"));
            var cmdId = AssertStarted(reply, id);
            Assert.True(Guid.TryParse(cmdId, out _));
            var ev = await client.ReceiveAsync();
            Assert.Equal(("Event", cmdId, 1), Note(ev));
            Assert.Equal("CALL_END", ev.GetProperty("params").GetProperty("data").GetString());
            Assert.Equal("call-1", ev.GetProperty("params").GetProperty("callid").GetString());
            Assert.False(ev.TryGetProperty("id", out _));
            var ended = await client.ReceiveAsync();
            Assert.Equal(("Ended", cmdId, 2), Note(ended));
            Assert.Equal("ok", ended.GetProperty("params").GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Reply_comes_before_a_notification_the_entity_sent_first()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        AssertStarted(await client.CallAsync(End("1", "notify-first", "nf")), "1");
        Assert.Equal(("Event", "nf", 1), Note(await client.ReceiveAsync()));
        Assert.Equal(("Ended", "nf", 2), Note(await client.ReceiveAsync()));
    }

    [Fact]
    public async Task Notifications_are_delivered_in_seq_order_without_duplicates()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        AssertStarted(await client.CallAsync(End("1", "scramble", "sc")), "1");
        Assert.Equal(("Event", "sc", 1), Note(await client.ReceiveAsync()));
        Assert.Equal(("Event", "sc", 2), Note(await client.ReceiveAsync()));
        var ended = await client.ReceiveAsync();
        Assert.Equal(("Ended", "sc", 3), Note(ended));
        Assert.Equal("failed", ended.GetProperty("params").GetProperty("status").GetString());
        Assert.Equal(ErrorCodes.CallBusy, ended.GetProperty("params").GetProperty("error").GetProperty("code").GetInt32());
        // Nothing else for "sc": the next message is the reply to this request.
        AssertError(await client.CallAsync(End("2", "reject")), "2", ErrorCodes.CallUnknown);
    }

    [Fact]
    public async Task A_batch_is_answered_with_one_array_before_its_commands_notifications()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        await client.SendAsync($$$"""[{{{End("1", "b1", "bc1")}}}, 5, {{{End("3", "reject")}}}, {"jsonrpc":"2.0","method":"CallDance"}, {"jsonrpc":"2.0","id":"x","method":"Nope"}]""");
        var batch = await client.ReceiveAsync();
        Assert.Equal(JsonValueKind.Array, batch.ValueKind);
        var replies = batch.EnumerateArray().ToList();
        Assert.Equal(4, replies.Count);
        Assert.Equal("bc1", AssertStarted(replies[0], "1"));
        AssertError(replies[1], "null", ErrorCodes.InvalidRequest);
        AssertError(replies[2], "3", ErrorCodes.CallUnknown);
        AssertError(replies[3], "\"x\"", ErrorCodes.MethodNotFound);
        Assert.Equal(("Event", "bc1", 1), Note(await client.ReceiveAsync()));
        Assert.Equal(("Ended", "bc1", 2), Note(await client.ReceiveAsync()));

        // A batch of notifications only gets no reply.
        await client.SendAsync("""[{"jsonrpc":"2.0","method":"CallDance"},{"jsonrpc":"2.0","method":"CallEnd","params":{}}]""");
        AssertError(await client.CallAsync(End("9", "reject")), "9", ErrorCodes.CallUnknown);
    }

    [Fact]
    public async Task Hundred_commands_in_flight_on_one_connection_are_paired_correctly()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        const int n = 100;
        for (var i = 0; i < n; i++)
        {
            await client.SendAsync(End($"\"r{i}\"", $"call-{i}", $"c{i}"));
        }

        var replyAt = new Dictionary<string, int>();
        var notes = new Dictionary<string, List<(int Index, int Seq)>>();
        for (var index = 0; index < 3 * n; index++)
        {
            var msg = await client.ReceiveAsync();
            if (msg.TryGetProperty("id", out var id))
            {
                var cmdId = AssertStarted(msg, id.GetRawText());
                Assert.Equal("\"r" + cmdId[1..] + "\"", id.GetRawText());
                replyAt.Add(cmdId, index);
            }
            else
            {
                var (_, cmdId, seq) = Note(msg);
                Assert.Equal("call-" + cmdId[1..], msg.GetProperty("params").TryGetProperty("callid", out var c) ? c.GetString() : "call-" + cmdId[1..]);
                (notes.TryGetValue(cmdId, out var l) ? l : notes[cmdId] = []).Add((index, seq));
            }
        }

        Assert.Equal(n, replyAt.Count);
        foreach (var (cmdId, list) in notes)
        {
            Assert.Equal([1, 2], list.Select(x => x.Seq));
            Assert.True(replyAt[cmdId] < list[0].Index, $"reply of {cmdId} after its notification");
        }

        Assert.Equal(n, notes.Count);
    }

    [Fact]
    public async Task In_flight_cap_answers_overloaded()
    {
        var (server, _) = await StartAsync(Base with { MaxInFlightPerConnection = 3 });
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        for (var i = 0; i < 3; i++)
        {
            AssertStarted(await client.CallAsync(End($"{i}", "keep", $"k{i}")), $"{i}");
            Assert.Equal(("Event", $"k{i}", 1), Note(await client.ReceiveAsync()));
        }

        AssertError(await client.CallAsync(End("3", "keep", "k3")), "3", ErrorCodes.Overloaded, "max 3");
        // An idempotent repeat of a command already in flight is not a new one.
        AssertStarted(await client.CallAsync(End("4", "keep", "k0")), "4");
    }

    [Fact]
    public async Task Frames_over_64KiB_are_refused_and_the_connection_stays_open()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        var big = End("1", new string('x', 70 * 1024));
        Assert.True(Encoding.UTF8.GetByteCount(big) > 65536);
        AssertError(await client.CallAsync(big), "null", ErrorCodes.InvalidRequest, "65536");
        AssertStarted(await client.CallAsync(End("2", "after-big", "ab")), "2");
    }

    [Fact]
    public async Task Ask_timeout_answers_server_error()
    {
        var (server, _) = await StartAsync(Base with { AskTimeout = TimeSpan.FromMilliseconds(300) });
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        AssertError(await client.CallAsync(End("1", "silent")), "1", ErrorCodes.ServerError, "command service did not answer in time");
    }

    [Fact]
    public async Task CommandGet_and_CommandSubscribe_replay_a_command()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);
        AssertStarted(await client.CallAsync(End("1", "g1", "gc")), "1");
        Assert.Equal(("Event", "gc", 1), Note(await client.ReceiveAsync()));
        Assert.Equal(("Ended", "gc", 2), Note(await client.ReceiveAsync()));

        var get = (await client.CallAsync("""{"jsonrpc":"2.0","id":2,"method":"CommandGet","params":{"cmd_id":"gc"}}""")).GetProperty("result");
        Assert.Equal("CallEnd", get.GetProperty("method").GetString());
        Assert.Equal("g1", get.GetProperty("params").GetProperty("callid").GetString());
        Assert.Equal("ok", get.GetProperty("status").GetString());
        var notes = get.GetProperty("notifications").EnumerateArray().ToList();
        Assert.Equal("CALL_END", notes[0].GetProperty("data").GetString());
        Assert.Equal(2, notes[1].GetProperty("seq").GetInt32());
        Assert.Equal("ok", notes[1].GetProperty("status").GetString());
        AssertError(await client.CallAsync("""{"jsonrpc":"2.0","id":3,"method":"CommandGet","params":{"cmd_id":"nope"}}"""), "3", ErrorCodes.InvalidParams, "unknown");

        // On a new connection (after a reconnect), subscribe after seq 1: the reply, then seq 2 only.
        await using var other = await WsClient.ConnectAsync(server.Endpoint);
        var sub = (await other.CallAsync("""{"jsonrpc":"2.0","id":4,"method":"CommandSubscribe","params":{"cmd_id":"gc","after_seq":1}}""")).GetProperty("result");
        Assert.Equal("gc", sub.GetProperty("cmd_id").GetString());
        Assert.Equal("ok", sub.GetProperty("status").GetString());
        Assert.Equal(2, sub.GetProperty("last_seq").GetInt32());
        Assert.Equal(("Ended", "gc", 2), Note(await other.ReceiveAsync()));
        AssertError(await other.CallAsync(End("5", "reject")), "5", ErrorCodes.CallUnknown);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_closed_with_1008_while_the_server_stays_healthy()
    {
        var (server, region) = await StartAsync(Base with { OutboundBufferSize = 16 });
        await using var _s = server;
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(GatewayConnectionClosing));
        await using var slow = await WsClient.ConnectAsync(server.Endpoint);

        await slow.SendAsync(End("1", "big", "big1"));
        var closing = await events.ExpectMsgAsync<GatewayConnectionClosing>(Long);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, closing.Status);
        Assert.Equal("outbound buffer full: client is not reading", closing.Reason);

        // The command keeps running; the dead connection unsubscribes from it.
        await region.FishForMessageAsync(m => m is UnsubscribeCommand { CmdId: "big1" }, Long);

        await using (var healthy = await WsClient.ConnectAsync(server.Endpoint))
        {
            AssertStarted(await healthy.CallAsync(End("1", "h", "h1")), "1");
        }

        // The slow client finally reads: what was already on the wire, then the close frame with the reason.
        var frames = 0;
        while (await slow.ReceiveTextAsync(Long) is not null)
        {
            Assert.True(++frames < 7000, "no close frame");
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, slow.CloseResult!.CloseStatus);
        Assert.Equal("outbound buffer full: client is not reading", slow.CloseResult.CloseStatusDescription);
    }

    [Fact]
    public async Task Closing_a_connection_mid_command_unsubscribes_and_nothing_crashes()
    {
        var (server, region) = await StartAsync();
        await using var _s = server;
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(GatewayConnectionClosed));
        var client = await WsClient.ConnectAsync(server.Endpoint);
        AssertStarted(await client.CallAsync(End("1", "keep", "mid1")), "1");
        Assert.Equal(("Event", "mid1", 1), Note(await client.ReceiveAsync()));
        // Also one request still unanswered when the socket goes away.
        await client.SendAsync(End("2", "silent", "mid2"));
        await client.DisposeAsync();

        await region.FishForMessageAsync(m => m is UnsubscribeCommand { CmdId: "mid1" }, Long);
        var closed = await events.ExpectMsgAsync<GatewayConnectionClosed>(Long);
        Assert.Contains("client closed", closed.Reason);

        await using var again = await WsClient.ConnectAsync(server.Endpoint);
        var sub = await again.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"CommandSubscribe","params":{"cmd_id":"mid1"}}""");
        Assert.Equal("running", sub.GetProperty("result").GetProperty("status").GetString());
        Assert.Equal(("Event", "mid1", 1), Note(await again.ReceiveAsync()));
    }

    [Fact]
    public async Task Disposing_the_server_closes_connections_with_1001()
    {
        var (server, _) = await StartAsync();
        await using var client = await WsClient.ConnectAsync(server.Endpoint);
        AssertStarted(await client.CallAsync(End("1", "keep", "d1")), "1");
        Assert.Equal(("Event", "d1", 1), Note(await client.ReceiveAsync()));

        var disposing = server.DisposeAsync().AsTask();
        Assert.Null(await client.ReceiveTextAsync());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseResult!.CloseStatus);
        Assert.Equal("server shutting down", client.CloseResult.CloseStatusDescription);
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await disposing.WaitAsync(Long);
    }

    [Fact]
    public async Task Plain_http_on_the_path_is_refused()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var http = new HttpClient();
        var url = new UriBuilder(server.Endpoint) { Scheme = "http" }.Uri;
        var response = await http.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }
    [Fact]
    public async Task A_notification_request_runs_the_command_and_gets_no_reply()
    {
        var (server, region) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        await client.SendAsync("""{"jsonrpc":"2.0","method":"CallEnd","params":{"callid":"n","cmd_id":"n1"}}""");
        Assert.Equal("n1", (await region.ExpectMsgAsync<StartCommand>(Long)).CmdId);
        Assert.Equal(("Event", "n1", 1), Note(await client.ReceiveAsync()));
        Assert.Equal(("Ended", "n1", 2), Note(await client.ReceiveAsync()));
    }

    [Fact]
    public async Task An_idempotent_repeat_gets_the_same_cmd_id_and_no_duplicate_notifications()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await using var client = await WsClient.ConnectAsync(server.Endpoint);

        Assert.Equal("rep", AssertStarted(await client.CallAsync(End("1", "keep", "rep")), "1"));
        Assert.Equal(("Event", "rep", 1), Note(await client.ReceiveAsync()));
        Assert.Equal("rep", AssertStarted(await client.CallAsync(End("2", "keep", "rep")), "2"));
        // The replayed seq 1 is a duplicate on this connection: the next message is the fence's reply.
        AssertError(await client.CallAsync(End("3", "reject")), "3", ErrorCodes.CallUnknown);
        // Same cmd_id, other params: the entity's -32602 comes back as is.
        AssertError(await client.CallAsync(End("4", "other", "rep")), "4", ErrorCodes.InvalidParams, "cmd_id");
    }
}
