using System.Text.Json.Nodes;
using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>t_uac_dlg: click-to-dial through the proxy, header checks, BYE, personas.</summary>
public sealed class UacTests : IAsyncLifetime
{
    private SimHarness _h = null!;
    public async Task InitializeAsync() => _h = await SimHarness.StartAsync();
    public async Task DisposeAsync() => await _h.DisposeAsync();

    private const string Sdp = "v=0\r\no=click-to-dial 0 0 IN IP4 0.0.0.0\r\ns=session\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

    private static object Invite(string ruri, string callId, string to = "sip:bob@127.0.0.1") => new
    {
        method = "INVITE",
        ruri,
        headers = $"From: <sip:alice@127.0.0.1>\r\nTo: <{to}>\r\nContact: <sip:ctd@!!>\r\nContent-Type: application/sdp\r\nCSeq: 1 INVITE\r\nCall-Id: {callId}\r\n",
        body = Sdp,
        next_hop = "sip:127.0.0.1:5060",
    };

    [Fact]
    public async Task Click_to_dial_creates_a_dialog_and_replies_when_answered()
    {
        var reply = (JsonObject)(await _h.Mi.ResultAsync("t_uac_dlg", Invite("sip:alice@127.0.0.1", "ctd-1")))!;
        Assert.Equal(["Status", "RURI", "Next-hop", "Routes", "Message"], reply.Select(k => k.Key));
        Assert.Equal("200 Answering", (string?)reply["Status"]);
        var evs = await _h.Events.TakeAsync(2);
        Assert.Equal(["1-3", "3-4"], evs.Select(e => $"{e.P("old_state")}-{e.P("new_state")}"));
        var did = evs[0].P("id");
        Assert.Equal($"sip:127.0.0.1;lr;did={did}", (string?)reply["Next-hop"]);
        Assert.Equal($"<sip:127.0.0.1;lr;did={did}>", (string?)reply["Routes"]![0]);
        var message = (string)reply["Message"]!;
        Assert.StartsWith($"Record-Route: <sip:127.0.0.1;lr;did={did}>\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=", message);
        Assert.Contains($"\r\nTo: <sip:bob@127.0.0.1>;tag={evs[0].P("to_tag")}\r\n", message);
        Assert.Contains($"\r\nFrom: <sip:alice@127.0.0.1>;tag={evs[0].P("from_tag")}\r\n", message);
        Assert.Contains("\r\nCall-ID: ctd-1\r\n", message);

        var d = (await _h.Mi.ResultAsync("dlg_list", new { callid = "ctd-1" }))!["Dialog"]!;
        Assert.Equal("sip:ctd@127.0.0.1:5060", (string?)d["caller_contact"]);
        Assert.Equal(Sdp, (string?)d["caller_sdp"]);
        Assert.Equal((string?)reply["RURI"], (string?)d["CALLEES"]![0]!["callee_contact"]);

        // A BYE looped through the proxy ends the dialog; one that bypasses it (no next_hop) does not (capture b4).
        var byeDirect = new { method = "BYE", ruri = (string)reply["RURI"]!, headers = $"To: <sip:bob@127.0.0.1>;tag={evs[0].P("to_tag")}\r\nFrom: <sip:alice@127.0.0.1>;tag={evs[0].P("from_tag")}\r\nCall-ID: ctd-1\r\nCSeq: 3 BYE\r\n" };
        Assert.Equal("200 OK", (string?)(await _h.Mi.ResultAsync("t_uac_dlg", byeDirect))!["Status"]);
        Assert.Equal(4, (int)(await _h.Mi.ResultAsync("dlg_list", new { callid = "ctd-1" }))!["Dialog"]!["state"]!);
        var byeLooped = new { byeDirect.method, byeDirect.ruri, byeDirect.headers, next_hop = "sip:127.0.0.1:5060" };
        Assert.Equal("200 OK", (string?)(await _h.Mi.ResultAsync("t_uac_dlg", byeLooped))!["Status"]);
        var end = await _h.Events.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(("4", "5"), (end!.P("old_state"), end.P("new_state")));
    }

    [Fact]
    public async Task Unknown_user_gets_404_from_the_proxy()
    {
        var reply = (JsonObject)(await _h.Mi.ResultAsync("t_uac_dlg", Invite("sip:nobody@127.0.0.1", "c2d-404", "sip:nobody@127.0.0.1")))!;
        Assert.Equal(["Status", "Message"], reply.Select(k => k.Key));
        Assert.Equal("404 Not Found", (string?)reply["Status"]);
        Assert.Contains("Server: OpenSIPS (4.0.1 (x86_64/linux))", (string)reply["Message"]!);
        var e = await _h.Events.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(("1", "5"), (e!.P("old_state"), e.P("new_state")));
        Assert.Null(e.Params["to_tag"]);
        Assert.True(e.Params.ContainsKey("to_tag"));
    }

    [Theory]
    [InlineData("busy", "486 Busy Here")]
    [InlineData("reject", "603 Decline")]
    public async Task Rejecting_phone_gives_status_and_message(string persona, string status)
    {
        var reply = (JsonObject)(await _h.Mi.ResultAsync("t_uac_dlg", Invite($"sip:{persona}@127.0.0.1", "c2d-" + persona)))!;
        Assert.Equal(["Status", "Message"], reply.Select(k => k.Key));
        Assert.Equal(status, (string?)reply["Status"]);
        var e = await _h.Events.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(("1", "5"), (e!.P("old_state"), e.P("new_state")));
    }

    [Fact]
    public async Task Unanswered_invite_times_out_with_408_only()
    {
        var reply = (await _h.Mi.ResultAsync("t_uac_dlg", Invite("sip:noanswer@127.0.0.1", "c2d-408")))!;
        Assert.Equal("{\"Status\":\"408 Request Timeout\"}", reply.ToJsonString());
        var evs = await _h.Events.TakeAsync(2);
        Assert.Equal(["1-2", "2-5"], evs.Select(e => $"{e.P("old_state")}-{e.P("new_state")}"));
    }

    [Fact]
    public async Task Slow_phone_answers_late()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var reply = (await _h.Mi.ResultAsync("t_uac_dlg", Invite("sip:slowpoke@127.0.0.1", "c2d-slow")))!;
        Assert.Equal("200 Answering", (string?)reply["Status"]);
        Assert.True(sw.Elapsed >= SimHarness.Fast.SlowAnswerDelay - TimeSpan.FromMilliseconds(50));
    }

    [Theory]
    [InlineData("To: <sip:bob@127.0.0.1>\r\n", null, "From missing")]
    [InlineData("From: <sip:alice@127.0.0.1>\r\n", null, "To missing")]
    [InlineData("From: <sip:a@h>\r\nTo: <sip:b@h>\r\nCSeq: 1 BYE\r\n", null, "CSeq method mismatch")]
    [InlineData("From: <sip:a@h>\r\nTo: <sip:b@h>\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n", "v=0\r\n", "Content-Length disallowed")]
    [InlineData("From: <sip:a@h>\r\nTo: <sip:b@h>\r\n", "v=0\r\n", "Content-Type missing")]
    public async Task Header_rules(string headers, string? body, string message)
    {
        var r = body is null
            ? await _h.Mi.CallAsync("t_uac_dlg", new { method = "INVITE", ruri = "sip:alice@127.0.0.1", headers })
            : await _h.Mi.CallAsync("t_uac_dlg", new { method = "INVITE", ruri = "sip:alice@127.0.0.1", headers, body });
        Assert.Equal("{\"code\":400,\"message\":\"" + message + "\"}", r["error"]!.ToJsonString());
    }

    [Fact]
    public async Task Bad_ruri_next_hop_and_socket()
    {
        const string headers = "From: <sip:a@h>\r\nTo: <sip:b@h>\r\n";
        Assert.Equal("{\"code\":400,\"message\":\"Invalid ruri\"}", (await _h.Mi.CallAsync("t_uac_dlg", new { method = "OPTIONS", ruri = "not a uri", headers }))["error"]!.ToJsonString());
        Assert.Equal("{\"code\":400,\"message\":\"Invalid next_hop\"}", (await _h.Mi.CallAsync("t_uac_dlg", new { method = "OPTIONS", ruri = "sip:a@h", headers, next_hop = "nope" }))["error"]!.ToJsonString());
        Assert.Equal("{\"code\":404,\"message\":\"Local socket not found\"}", (await _h.Mi.CallAsync("t_uac_dlg", new { method = "OPTIONS", ruri = "sip:a@h", headers, socket = "udp:10.9.9.9:5060" }))["error"]!.ToJsonString());
    }

    [Fact]
    public async Task Options_probe_to_unknown_user_like_capture_f()
    {
        var r = (await _h.Mi.ResultAsync("tm:uac_dlg", new { method = "OPTIONS", ruri = "sip:nobody@127.0.0.1", headers = "From: <sip:probe@127.0.0.1>\r\nTo: <sip:nobody@127.0.0.1>\r\n", next_hop = "sip:127.0.0.1:5060" }))!;
        Assert.Equal("404 Not Found", (string?)r["Status"]);
        Assert.Contains("\r\nCSeq: 10 OPTIONS\r\n", (string)r["Message"]!);
    }
}
