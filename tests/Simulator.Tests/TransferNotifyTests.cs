using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>E_CALL_TRANSFER "notify": only when the proxy script answers early refer-NOTIFYs (ack-1xx-refer-notify on).</summary>
public sealed class TransferNotifyTests
{
    private static string Describe(ReceivedEvent e) =>
        e.Method == "E_CALL_TRANSFER" ? "T " + e.P("state") : $"D {e.P("old_state")}-{e.P("new_state")}";

    [Fact]
    public async Task Notify_follows_the_new_dialogs_ack_with_the_captured_payload()
    {
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { Ack1xxReferNotify = true });
        var a = await h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        Assert.Equal("Accepted", (string?)await h.Mi.ResultAsync("call_transfer", new { callid = a, leg = "callee", destination = "sip:carol@127.0.0.1" }));
        var evs = await h.Events.TakeAsync(6);
        Assert.Equal(["T start", "D 1-2", "D 2-3", "T ok", "D 3-4", "T notify"], evs.Select(Describe));
        var notify = evs[5];
        var newCall = evs[0].P("transfer_callid");
        // Capture e_notify_variant_ack1xx: leg and destination are empty, status is the sipfrag line.
        Assert.Equal(
            """{"jsonrpc":"2.0","method":"E_CALL_TRANSFER","params":{"callid":"A","leg":"","transfer_callid":"N","destination":"","state":"notify","status":"200 OK"}}""",
            notify.Raw.Replace(a, "A", StringComparison.Ordinal).Replace(newCall!, "N", StringComparison.Ordinal));
        Assert.True(await h.Events.QuietAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Off_by_default_no_notify_is_raised()
    {
        Assert.False(new SimulatorOptions().Ack1xxReferNotify);
        await using var h = await SimHarness.StartAsync();
        var a = await h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        await h.Mi.ResultAsync("call_transfer", new { callid = a, leg = "callee", destination = "sip:carol@127.0.0.1" });
        var evs = await h.Events.TakeAsync(5);
        Assert.Equal(["T start", "D 1-2", "D 2-3", "T ok", "D 3-4"], evs.Select(Describe));
        // The early "100 Trying" NOTIFY got 480 from callops and the phone dropped the subscription: nothing more comes.
        Assert.True(await h.Events.QuietAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Failed_transfer_notifies_the_failure_after_fail()
    {
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { Ack1xxReferNotify = true });
        var a = await h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        await h.Mi.ResultAsync("call_transfer", new { callid = a, leg = "callee", destination = "sip:busy-carol@127.0.0.1" });
        var fail = await h.Events.WaitForAsync(e => e.P("state") == "fail");
        var notify = await h.Events.WaitForAsync(e => e.Method == "E_CALL_TRANSFER");
        Assert.Equal((a, "", "notify", "486 Busy Here", ""), (notify.P("callid"), notify.P("leg"), notify.P("state"), notify.P("status"), notify.P("destination")));
        Assert.Equal(fail.P("transfer_callid"), notify.P("transfer_callid"));
    }

    [Fact]
    public async Task No_notify_once_dialog_a_has_ended()
    {
        // The NOTIFY travels in dialog A: an A that is gone answers 481 and callops raises nothing.
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { Ack1xxReferNotify = true, AnswerDelay = TimeSpan.FromMilliseconds(300) });
        var a = await h.ConfirmedCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
        await h.Mi.ResultAsync("call_transfer", new { callid = a, leg = "callee", destination = "sip:carol@127.0.0.1" });
        await h.Events.WaitForAsync(e => e.P("state") == "start");
        Assert.Equal("OK", (string?)await h.Mi.ResultAsync("dlg_end_dlg", new { dialog_id = a }));
        var seen = new List<ReceivedEvent>();
        await h.Events.WaitForAsync(e => e.P("state") == "ok", before: seen);
        var confirmed = await h.Events.WaitForAsync(e => e.P("new_state") == "4", before: seen);
        Assert.True(await h.Events.QuietAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Contains(seen, e => e.P("callid") == a && e.P("new_state") == "5");
        Assert.NotNull(confirmed);
    }
}
