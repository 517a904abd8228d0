using System.Text.Json.Nodes;
using CallCluster.Simulator.Dialogs;
using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>Dialog table: ids, dlg_list shapes, dlg_end_dlg, phone calls and hang-ups, with events to a real UDP listener.</summary>
public sealed class DialogTests : IAsyncLifetime
{
    private SimHarness _h = null!;
    public async Task InitializeAsync() => _h = await SimHarness.StartAsync();
    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Theory]
    [InlineData(177u, 698790705u, "1b.133b6a92", "760908002097")]
    [InlineData(0x9fcu, 0x5c76a27cu, "cf9.c72a67c5", "10977624369276")]
    public void Dialog_id_is_reversed_hex_and_db_id_decimal(uint entry, uint hid, string text, string dbId)
    {
        var id = new DialogId(entry, hid);
        Assert.Equal(text, id.ToString());
        Assert.True(DialogId.TryParse(text, out var back));
        Assert.Equal(id, back);
        _ = dbId;
        Assert.Equal(((long)entry << 32) + hid, id.DbId);
    }

    [Fact]
    public void Captured_dialog_ids_round_trip()
    {
        // Every E_DLG_STATE_CHANGED in the captures: id and db_id agree with our encoding.
        foreach (var l in Captures.Load("c_normal_call").Where(l => l.Dir == "event" && l.Raw.Contains("E_DLG_STATE_CHANGED")))
        {
            var p = JsonNode.Parse(l.Raw)!["params"]!;
            Assert.True(DialogId.TryParse((string)p["id"]!, out var id));
            Assert.Equal((string)p["db_id"]!, id.DbIdText);
        }
    }

    [Fact]
    public async Task Sim_call_reports_1_2_3_4_and_lists_the_dialog()
    {
        var callId = (string)(await _h.Mi.ResultAsync("sim_call", new { from = "sip:alice@127.0.0.1", to = "sip:bob@127.0.0.1" }))!;
        var evs = await _h.Events.TakeAsync(3);
        Assert.Equal(["1-2", "2-3", "3-4"], evs.Select(e => e.P("old_state") + "-" + e.P("new_state")));
        Assert.All(evs, e => Assert.Equal(callId, e.P("callid")));
        var d = await _h.DialogAsync(callId);
        Assert.Equal(evs[0].P("id"), (string?)d["ID"]);
        Assert.Equal(evs[0].P("db_id"), (string?)d["db_id"]);
        Assert.Equal(4, (int)d["state"]!);
        Assert.Equal("sip:alice@127.0.0.1", (string?)d["from_uri"]);
        Assert.Equal("sip:bob@127.0.0.1", (string?)d["to_uri"]);
        Assert.Equal(evs[0].P("from_tag"), (string?)d["caller_tag"]);
        Assert.Equal(evs[0].P("to_tag"), (string?)d["CALLEES"]![0]!["callee_tag"]);
        Assert.Equal(["ID", "db_id", "state", "user_flags", "timestart", "datestart", "timeout", "dateout", "callid", "from_uri", "to_uri",
            "caller_tag", "caller_contact", "callee_cseq", "caller_route_set", "caller_bind_addr", "caller_sdp", "CALLEES"], d.Select(k => k.Key));
        Assert.Equal(["callee_tag", "callee_contact", "caller_cseq", "callee_route_set", "callee_bind_addr", "callee_sdp"],
            ((JsonObject)d["CALLEES"]![0]!).Select(k => k.Key));

        var withTag = (await _h.Mi.ResultAsync("dlg_list", new { callid = callId, from_tag = evs[0].P("from_tag") }))!;
        Assert.Equal(callId, (string?)withTag["Dialog"]!["callid"]);
        var wrongTag = await _h.Mi.CallAsync("dlg_list", new { callid = callId, from_tag = "nope" });
        Assert.Equal("{\"code\":404,\"message\":\"No such dialog\"}", wrongTag["error"]!.ToJsonString());
    }

    [Fact]
    public async Task Dlg_end_dlg_by_dialog_id_and_by_call_id()
    {
        var a = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        var b = await _h.ConfirmedCallAsync("sip:carol@127.0.0.1", "sip:dave@127.0.0.1");
        var bId = (string)(await _h.DialogAsync(b))["ID"]!;

        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("dlg_end_dlg", new { dialog_id = bId }));
        var endB = await _h.Events.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((b, "4", "5"), (endB!.P("callid"), endB.P("old_state"), endB.P("new_state")));

        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("dialog:end_dlg", new { dialog_id = a }));
        var endA = await _h.Events.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((a, "4", "5"), (endA!.P("callid"), endA.P("old_state"), endA.P("new_state")));

        // Ended: no longer found by either command, but still listed by dlg_list {} with state 5 and no SDP.
        var again = await _h.Mi.CallAsync("dlg_end_dlg", new { dialog_id = a });
        Assert.Equal("{\"code\":404,\"message\":\"Requested Dialog not found\"}", again["error"]!.ToJsonString());
        var byCallId = await _h.Mi.CallAsync("dlg_list", new { callid = a });
        Assert.Equal("{\"code\":404,\"message\":\"No such dialog\"}", byCallId["error"]!.ToJsonString());
        var all = (await _h.Mi.ResultAsync("dlg_list"))!["Dialogs"]!.AsArray();
        Assert.Equal(2, all.Count);
        Assert.All(all, d =>
        {
            Assert.Equal(5, (int)d!["state"]!);
            Assert.Equal(0, (int)d["timeout"]!);
            Assert.Null(d["caller_sdp"]);
            Assert.Null(d["dateout"]);
        });
    }

    [Fact]
    public async Task Dlg_end_dlg_cancels_an_early_dialog()
    {
        await _h.Mi.ResultAsync("sim_persona", new { uri = "sip:bob@127.0.0.1", persona = "noanswer" });
        var callId = (string)(await _h.Mi.ResultAsync("sim_call", new { from = "sip:alice@127.0.0.1", to = "sip:bob@127.0.0.1" }))!;
        var ringing = await _h.Events.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("2", ringing!.P("new_state"));
        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("dlg_end_dlg", new { dialog_id = callId }));
        var end = await _h.Events.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(("2", "5"), (end!.P("old_state"), end.P("new_state")));
    }

    [Fact]
    public async Task Dlg_list_paging_counts_all()
    {
        for (var i = 0; i < 5; i++) await _h.ConfirmedCallAsync($"sip:u{i}@127.0.0.1", $"sip:v{i}@127.0.0.1");
        var page = (await _h.Mi.ResultAsync("dlg_list", new { index = 2, counter = 2 }))!;
        Assert.Equal(["count", "Dialogs"], ((JsonObject)page).Select(k => k.Key));
        Assert.Equal(5, (int)page["count"]!);
        Assert.Equal(2, page["Dialogs"]!.AsArray().Count);
        var tail = (await _h.Mi.ResultAsync("dlg_list", new { index = 4, counter = 10 }))!;
        Assert.Single(tail["Dialogs"]!.AsArray());
    }

    [Fact]
    public async Task Sim_hangup_sends_bye()
    {
        var callId = await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        Assert.Equal("OK", (string?)await _h.Mi.ResultAsync("sim_hangup", new { callid = callId }));
        var e = await _h.Events.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(("4", "5"), (e!.P("old_state"), e.P("new_state")));
        var again = await _h.Mi.CallAsync("sim_hangup", new { callid = callId });
        Assert.Equal(404, (int)again["error"]!["code"]!);
    }

    [Fact]
    public async Task Place_call_async_returns_when_confirmed()
    {
        var callId = await _h.Sim.PlaceCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        Assert.Equal(4, (int)(await _h.DialogAsync(callId))["state"]!);
        await Assert.ThrowsAsync<InvalidOperationException>(() => _h.Sim.PlaceCallAsync("sip:alice@127.0.0.1", "sip:busy1@127.0.0.1"));
        await Assert.ThrowsAsync<ArgumentException>(() => _h.Sim.PlaceCallAsync("alice", "sip:bob@127.0.0.1"));
    }

    [Fact]
    public async Task Sim_phones_lists_phones_with_personas()
    {
        await _h.Mi.ResultAsync("sim_persona", new { uri = "sip:erin@127.0.0.1", persona = "busy" });
        await _h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        var phones = (await _h.Mi.ResultAsync("sim_phones"))!["Phones"]!.AsArray();
        Assert.Contains(phones, p => (string?)p!["uri"] == "sip:erin@127.0.0.1" && (string?)p["persona"] == "busy");
        Assert.Contains(phones, p => (string?)p!["uri"] == "sip:bob@127.0.0.1" && (string?)p["persona"] == "normal");
        var bad = await _h.Mi.CallAsync("sim_persona", new { uri = "sip:erin@127.0.0.1", persona = "grumpy" });
        Assert.Equal(400, (int)bad["error"]!["code"]!);
    }
}
