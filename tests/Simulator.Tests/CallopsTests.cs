using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>call_hold / call_unhold / call_transfer with the event sequences of the captures.</summary>
public sealed class CallopsTests : IAsyncLifetime
{
    private SimHarness _h = null!;
    public async Task InitializeAsync() => _h = await SimHarness.StartAsync();
    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static string Hold(ReceivedEvent e) => $"{e.P("leg")}/{e.P("action")}/{e.P("state")}";

    [Fact]
    public async Task Hold_and_unhold_raise_start_then_ok_per_leg()
    {
        var c = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("call_hold", new { callid = c }));
        var hold = await _h.Events.TakeAsync(4);
        Assert.Equal(["caller/hold/start", "callee/hold/start", "callee/hold/ok", "caller/hold/ok"], hold.Select(Hold));
        Assert.All(hold, e => Assert.Equal(c, e.P("callid")));

        var again = await _h.Mi.CallAsync("call_hold", new { callid = c });
        Assert.Equal("{\"code\":480,\"message\":\"Both dialog legs are on hold\"}", again["error"]!.ToJsonString());

        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("call_unhold", new { callid = c }));
        var unhold = await _h.Events.TakeAsync(4);
        Assert.Equal(["callee/unhold/start", "caller/unhold/start", "callee/unhold/ok", "caller/unhold/ok"], unhold.Select(Hold));

        var none = await _h.Mi.CallAsync("call_unhold", new { callid = c });
        Assert.Equal("{\"code\":480,\"message\":\"No dialog legs on hold\"}", none["error"]!.ToJsonString());

        // 4.0: with a leg, both legs still get a re-INVITE.
        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("callops:hold", new { callid = c, leg = "callee" }));
        Assert.Equal(["caller/hold/start", "callee/hold/start", "callee/hold/ok", "caller/hold/ok"], (await _h.Events.TakeAsync(4)).Select(Hold));
    }

    [Fact]
    public async Task Hold_errors()
    {
        Assert.Equal("{\"code\":404,\"message\":\"Dialog not found\"}", (await _h.Mi.CallAsync("call_hold", new { callid = "no-such-call-id" }))["error"]!.ToJsonString());
        Assert.Equal("{\"code\":404,\"message\":\"Dialog not found\"}", (await _h.Mi.CallAsync("call_unhold", new { callid = "no-such-call-id" }))["error"]!.ToJsonString());
        Assert.Equal("{\"code\":420,\"message\":\"Bad leg\"}", (await _h.Mi.CallAsync("call_hold", new { callid = "x", leg = "left" }))["error"]!.ToJsonString());

        await _h.Mi.ResultAsync("sim_persona", new { uri = "sip:bob@127.0.0.1", persona = "noanswer" });
        var c = (string)(await _h.Mi.ResultAsync("sim_call", new { from = "sip:alice@127.0.0.1", to = "sip:bob@127.0.0.1" }))!;
        await _h.Events.WaitForAsync(e => e.P("new_state") == "2");
        Assert.Equal("{\"code\":410,\"message\":\"Dialog not ready\"}", (await _h.Mi.CallAsync("call_hold", new { callid = c }))["error"]!.ToJsonString());
    }

    [Fact]
    public async Task Compat3x_hold_takes_no_leg()
    {
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { Compat3x = true }, subscribe: false);
        var r = await h.Mi.CallAsync("call_hold", new { callid = "x", leg = "caller" });
        Assert.Equal("{\"code\":-32602,\"message\":\"Invalid params\",\"data\":\"Too few or too many parameters\"}", r["error"]!.ToJsonString());
        Assert.Equal(-32601, (int)(await h.Mi.CallAsync("callops:hold", new { callid = "x" }))["error"]!["code"]!);
    }

    [Fact]
    public async Task Blind_transfer_reproduces_leg_bug_and_new_dialog_events()
    {
        var a = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        var aId = (string)(await _h.DialogAsync(a))["ID"]!;
        Assert.Equal("Accepted", (string?)await _h.Mi.ResultAsync("call_transfer", new { callid = a, leg = "callee", destination = "sip:carol@127.0.0.1" }));
        var evs = await _h.Events.TakeAsync(5);
        var start = evs[0];
        Assert.Equal(("E_CALL_TRANSFER", a, "start", "", "sip:carol@127.0.0.1"), (start.Method, start.P("callid"), start.P("state"), start.P("status"), start.P("destination")));
        var newCall = start.P("transfer_callid");
        Assert.Equal(newCall, start.P("leg")); // the real callops 4.0.1 bug
        Assert.Equal(["E_DLG_STATE_CHANGED 1-2", "E_DLG_STATE_CHANGED 2-3", "E_CALL_TRANSFER ok", "E_DLG_STATE_CHANGED 3-4"],
            evs.Skip(1).Select(e => e.Method == "E_CALL_TRANSFER" ? "E_CALL_TRANSFER " + e.P("state") : $"{e.Method} {e.P("old_state")}-{e.P("new_state")}"));
        var ok = evs[3];
        Assert.Equal(("callee", "200 Answering", newCall, "sip:carol@127.0.0.1"), (ok.P("leg"), ok.P("status"), ok.P("transfer_callid"), ok.P("destination")));
        var n = await _h.DialogAsync(newCall!);
        Assert.Equal("sip:bob@127.0.0.1", (string?)n["from_uri"]);
        Assert.Equal("sip:carol@127.0.0.1;osid=" + aId, (string?)n["to_uri"]);

        var second = await _h.Mi.CallAsync("call_transfer", new { callid = a, leg = "caller", destination = "sip:dave@127.0.0.1" });
        Assert.Equal("{\"code\":491,\"message\":\"Request Pending\"}", second["error"]!.ToJsonString());
        // Dialog A is not ended by the transfer.
        Assert.Equal(4, (int)(await _h.DialogAsync(a))["state"]!);
    }

    [Fact]
    public async Task Attended_transfer_raises_for_both_dialogs()
    {
        var a = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        var b = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:carol@127.0.0.1");
        Assert.Equal("Accepted", (string?)await _h.Mi.ResultAsync("call_transfer", new { callid = a, leg = "callee", transfer_callid = b, transfer_leg = "callee" }));
        var evs = await _h.Events.TakeAsync(8);
        var transfers = evs.Where(e => e.Method == "E_CALL_TRANSFER").Select(e => $"{(e.P("callid") == a ? "A" : "B")} {e.P("leg")} {e.P("state")} {e.P("destination")}").ToList();
        Assert.Equal(["A callee start sip:carol@127.0.0.1", "B callee start sip:carol@127.0.0.1", "B callee ok sip:carol@127.0.0.1", "A callee ok sip:carol@127.0.0.1"], transfers);
        Assert.Contains(evs, e => e.P("callid") == b && e.P("old_state") == "4" && e.P("new_state") == "5");
        var newCall = evs[0].P("transfer_callid");
        Assert.Equal(["1-2", "2-3", "3-4"], evs.Where(e => e.P("callid") == newCall).Select(e => $"{e.P("old_state")}-{e.P("new_state")}"));
        Assert.True(evs.FindIndex(e => e.P("state") == "start") < evs.FindIndex(e => e.P("callid") == newCall));
    }

    [Fact]
    public async Task Transfer_errors()
    {
        Assert.Equal("{\"code\":404,\"message\":\"Dialog not found\"}",
            (await _h.Mi.CallAsync("call_transfer", new { callid = "no-such-call-id", leg = "callee", destination = "sip:bob@127.0.0.1" }))["error"]!.ToJsonString());
        Assert.Equal("{\"code\":-32000,\"message\":\"Server error\",\"data\":\"Failed to handle parameter\"}",
            (await _h.Mi.CallAsync("call_transfer", new { callid = "x", leg = "left", destination = "sip:bob@127.0.0.1" }))["error"]!.ToJsonString());
        var a = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        Assert.Equal("{\"code\":404,\"message\":\"Transfer dialog not found\"}",
            (await _h.Mi.CallAsync("call_transfer", new { callid = a, leg = "callee", transfer_callid = "no-such-call-id", transfer_leg = "callee" }))["error"]!.ToJsonString());
        // Recipe D is broken in callops 4.0.1: always -32000.
        Assert.Equal("{\"code\":-32000,\"message\":\"Server error\",\"data\":\"Failed to handle parameter\"}",
            (await _h.Mi.CallAsync("call_transfer", new { callid = a, leg = "callee", transfer_callid = "x", transfer_fromtag = "f", transfer_totag = "t", transfer_destination = "sip:bob@127.0.0.1" }))["error"]!.ToJsonString());
    }

    [Theory]
    [InlineData("busy", "486 Busy Here", false)]
    [InlineData("reject", "603 Decline", false)]
    [InlineData("dnd", "480 Temporarily Unavailable", false)]
    [InlineData("nobody", "408 Request Timeout", true)]
    [InlineData("noanswer", "408 Request Timeout", false)]
    public async Task Transfer_to_failing_target_reports_fail(string persona, string status, bool toTagNull)
    {
        var a = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        var aId = (string)(await _h.DialogAsync(a))["ID"]!;
        Assert.Equal("Accepted", (string?)await _h.Mi.ResultAsync("call_transfer", new { callid = a, leg = "callee", destination = $"sip:{persona}x@127.0.0.1" }));
        var start = await _h.Events.WaitForAsync(e => e.P("state") == "start");
        var before = new List<ReceivedEvent>();
        var fail = await _h.Events.WaitForAsync(e => e.Method == "E_CALL_TRANSFER", before: before);
        Assert.Equal(("fail", status, "callee"), (fail.P("state"), fail.P("status"), fail.P("leg")));
        // osid stays only when callops reports a local timeout (captures d20 vs d25).
        Assert.Equal(status.StartsWith("408") ? $"sip:{persona}x@127.0.0.1;osid={aId}" : $"sip:{persona}x@127.0.0.1", fail.P("destination"));
        var end = before.Last();
        Assert.Equal((start.P("transfer_callid"), "5"), (end.P("callid"), end.P("new_state")));
        Assert.Equal(toTagNull, end.Params["to_tag"] is null);
        Assert.Equal("{\"code\":491,\"message\":\"Request Pending\"}",
            (await _h.Mi.CallAsync("call_transfer", new { callid = a, leg = "callee", destination = "sip:carol@127.0.0.1" }))["error"]!.ToJsonString());
    }

    [Fact]
    public async Task Norefer_phone_rejects_refer_and_nothing_is_raised()
    {
        var a = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:norefer-bob@127.0.0.1");
        Assert.Equal("Accepted", (string?)await _h.Mi.ResultAsync("call_transfer", new { callid = a, leg = "callee", destination = "sip:carol@127.0.0.1" }));
        Assert.True(await _h.Events.QuietAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(491, (int)(await _h.Mi.CallAsync("call_transfer", new { callid = a, leg = "callee", destination = "sip:carol@127.0.0.1" }))["error"]!["code"]!);
    }
}
