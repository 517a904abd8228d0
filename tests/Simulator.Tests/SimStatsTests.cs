using System.Text.Json.Nodes;
using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>sim_stats: the simulator-only view of what the proxy holds, used by the soak test to prove nothing leaked.</summary>
public sealed class SimStatsTests
{
    private static async Task<JsonNode> StatsAsync(SimHarness h) => (await h.Mi.ResultAsync("sim_stats"))!;

    [Fact]
    public async Task Counts_live_and_ended_dialogs_and_open_transactions()
    {
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { TransactionTimeout = TimeSpan.FromSeconds(20) });
        Assert.Equal("""{"dialogs":0,"ended_dialogs":0,"transactions":0,"phones":0,"dialog_actors":0,"transfer_marks":0}""", (await StatsAsync(h)).ToJsonString());

        // A ringing phone that never answers keeps its INVITE transaction open.
        var ringing = (string)(await h.Mi.ResultAsync("sim_call", new { from = "sip:alice@127.0.0.1", to = "sip:noanswer-bob@127.0.0.1" }))!;
        await h.Events.WaitForAsync(e => e.P("callid") == ringing && e.P("new_state") == "2");
        var up = await h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:carol@127.0.0.1");
        var s = await StatsAsync(h);
        Assert.Equal((2, 0, 1, 3, 2), ((int)s["dialogs"]!, (int)s["ended_dialogs"]!, (int)s["transactions"]!, (int)s["phones"]!, (int)s["dialog_actors"]!));

        // An ended dialog is kept for ended-dialog-retention (30 s here) and counted apart.
        Assert.Equal("OK", (string?)await h.Mi.ResultAsync("dlg_end_dlg", new { dialog_id = up }));
        await h.Events.WaitForAsync(e => e.P("callid") == up && e.P("new_state") == "5");
        s = await StatsAsync(h);
        Assert.Equal((1, 1, 1), ((int)s["dialogs"]!, (int)s["ended_dialogs"]!, (int)s["transactions"]!));
    }

    [Fact]
    public async Task Without_retention_an_ended_dialog_and_its_actor_go_at_once()
    {
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { EndedDialogRetention = TimeSpan.Zero });
        var call = await h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        Assert.Equal("Accepted", (string?)await h.Mi.ResultAsync("call_transfer", new { callid = call, leg = "callee", destination = "sip:carol@127.0.0.1" }));
        var ok = await h.Events.WaitForAsync(e => e.P("state") == "ok");
        Assert.Equal(1, (int)(await StatsAsync(h))["transfer_marks"]!);
        foreach (var id in new[] { call, ok.P("transfer_callid")! })
        {
            Assert.Equal("OK", (string?)await h.Mi.ResultAsync("dlg_end_dlg", new { dialog_id = id }));
            await h.Events.WaitForAsync(e => e.P("callid") == id && e.P("new_state") == "5");
        }
        // Actors stop asynchronously: poll, bounded.
        JsonNode s = await StatsAsync(h);
        for (var i = 0; i < 50 && (int)s["dialog_actors"]! > 0; i++)
        {
            await Task.Delay(20);
            s = await StatsAsync(h);
        }
        Assert.Equal((0, 0, 0, 0, 0), ((int)s["dialogs"]!, (int)s["ended_dialogs"]!, (int)s["transactions"]!, (int)s["dialog_actors"]!, (int)s["transfer_marks"]!));
        Assert.Equal("{\"Dialogs\":[]}", (await h.Mi.ResultAsync("dlg_list"))!.ToJsonString());
    }

    [Fact]
    public async Task An_ended_dialog_leaves_the_table_once_its_retention_passed_and_the_others_keep_their_order()
    {
        var retention = TimeSpan.FromMilliseconds(600);
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { EndedDialogRetention = retention });
        var first = await h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        var middle = await h.ConfirmedCallAsync("sip:carol@127.0.0.1", "sip:dave@127.0.0.1");
        var last = await h.ConfirmedCallAsync("sip:erin@127.0.0.1", "sip:frank@127.0.0.1");
        Assert.Equal("OK", (string?)await h.Mi.ResultAsync("dlg_end_dlg", new { dialog_id = middle }));
        await h.Events.WaitForAsync(e => e.P("callid") == middle && e.P("new_state") == "5");

        // Within the retention the ended dialog is still in the table (state 5), between the other two.
        Assert.Equal([first, middle, last], await ListedCallIdsAsync(h));
        Assert.Equal(1, (int)(await StatsAsync(h))["ended_dialogs"]!);

        // Past it, the next look at the table drops it, and only it (polled, bounded: the purge runs on lookups).
        var deadline = DateTime.UtcNow + retention + TimeSpan.FromSeconds(10);
        JsonNode s = await StatsAsync(h);
        while ((int)s["ended_dialogs"]! > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            s = await StatsAsync(h);
        }

        Assert.Equal((2, 0), ((int)s["dialogs"]!, (int)s["ended_dialogs"]!));
        Assert.Equal([first, last], await ListedCallIdsAsync(h));
        var page = (await h.Mi.ResultAsync("dlg_list", new { index = 1, counter = 5 }))!;
        Assert.Equal(2, (int)page["count"]!);
        Assert.Equal([last], page["Dialogs"]!.AsArray().Select(d => (string)d!["callid"]!));
    }

    private static async Task<string[]> ListedCallIdsAsync(SimHarness h) =>
        (await h.Mi.ResultAsync("dlg_list"))!["Dialogs"]!.AsArray().Select(d => (string)d!["callid"]!).ToArray();
}
