using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>CallHold, CallUnHold, CallBlindTransfer and CallAttendedTransfer on calls placed by simulated phones.</summary>
public sealed class HoldAndTransferTests(FastTimersNodeFixture fixture) : IClassFixture<FastTimersNodeFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private EmbeddedNode Node => fixture.Node;

    private Task<string> PlaceCall(string from, string to) => Node.Simulator!.PlaceCallAsync(from, to);

    private async Task<CommandRun> Run(string method, object parameters)
    {
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);
        return await CommandRun.RunAsync(client, method, parameters, Timeout);
    }

    [Fact]
    public async Task Hold_both_legs_then_unhold_one_then_the_other()
    {
        var callId = await PlaceCall("sip:hold-a@127.0.0.1", "sip:hold-b@127.0.0.1");

        var hold = await Run("CallHold", new { callid = callId });
        Assert.Equal(["CALL_HOLD", "CALL_HOLD", "Ended ok"], hold.Codes);
        // Each leg's re-INVITE ends on its own: the two ok events come in either order.
        Assert.Equal(["callee", "caller"], hold.Notifications.Take(2).Select(n => Str(n, "params", "leg")!).Order());
        Assert.All(hold.Notifications.Take(2), n => Assert.Equal(callId, Str(n, "params", "callid")));

        var again = await Run("CallHold", new { callid = callId });
        Assert.Equal(["Ended failed"], again.Codes);
        Assert.Contains("480", again.ErrorMessage);

        var unholdCallee = await Run("CallUnHold", new { callid = callId, leg = "callee" });
        Assert.Equal(["CALL_UNHOLD", "Ended ok"], unholdCallee.Codes);
        Assert.Equal("callee", Str(unholdCallee.Notifications[0], "params", "leg"));

        var unholdRest = await Run("CallUnhold", new { callid = callId });
        Assert.Equal(["CALL_UNHOLD", "Ended ok"], unholdRest.Codes);
        Assert.Equal("caller", Str(unholdRest.Notifications[0], "params", "leg"));
    }

    [Fact]
    public async Task CallGet_reports_the_dialog_its_hold_state_and_the_commands_that_acted_on_it()
    {
        var callId = await PlaceCall("sip:get-a@127.0.0.1", "sip:get-b@127.0.0.1");
        var hold = await Run("CallHold", new { callid = callId, leg = "callee" });
        Assert.Equal("Ended ok", hold.Codes[^1]);
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);

        await client.SendAsync(new { jsonrpc = "2.0", id = "g1", method = "CallGet", @params = new { callid = callId } });
        var reply = await client.ReceiveAsync(Timeout);

        var result = reply.GetProperty("result");
        Assert.Equal((callId, "confirmed", 4), (Str(result, "callid"), Str(result, "state"), Int(result, "state_code")));
        Assert.Equal((false, true), (result.GetProperty("hold").GetProperty("caller").GetBoolean(), result.GetProperty("hold").GetProperty("callee").GetBoolean()));
        Assert.Contains(hold.CmdId, result.GetProperty("cmd_ids").EnumerateArray().Select(e => e.GetString()));

        await client.SendAsync(new { jsonrpc = "2.0", id = "g2", method = "CallGet", @params = new { callid = "no-such-call-for-get" } });
        var unknown = await client.ReceiveAsync(Timeout);
        Assert.Equal(-32001, Int(unknown, "error", "code"));
    }

    [Fact]
    public async Task Hold_of_one_leg_only()
    {
        var callId = await PlaceCall("sip:leg-a@127.0.0.1", "sip:leg-b@127.0.0.1");

        var hold = await Run("CallHold", new { callid = callId, leg = "caller" });

        Assert.Equal(["CALL_HOLD", "Ended ok"], hold.Codes);
        Assert.Equal("caller", Str(hold.Notifications[0], "params", "leg"));
    }

    [Theory]
    [InlineData("CallHold")]
    [InlineData("CallUnHold")]
    [InlineData("CallEnd")]
    public async Task Commands_on_an_unknown_call_end_failed_32001(string method)
    {
        var run = await Run(method, new { callid = "no-such-call-" + method });

        Assert.Equal(["Ended failed"], run.Codes);
        Assert.Equal(-32001, run.ErrorCode);
    }

    [Fact]
    public async Task Blind_transfer_moves_the_callee_to_a_new_destination_and_ends_the_old_call()
    {
        var callId = await PlaceCall("sip:blind-a@127.0.0.1", "sip:blind-b@127.0.0.1");

        var run = await Run("CallBlindTransfer", new { callid = callId, leg = "callee", destination = "sip:blind-c@127.0.0.1" });

        Assert.Equal(["TRANSFER_ACCEPT", "CALL_START", "Ended ok"], run.Codes);
        var newCall = Str(run.Event("CALL_START"), "params", "callid")!;
        Assert.NotEqual(callId, newCall);
        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(4, await mi.DialogStateAsync(newCall));
        Assert.Equal(0, await mi.DialogStateOnceSettledAsync(callId, 0));
    }

    [Fact]
    public async Task A_second_transfer_of_the_same_call_is_refused_as_busy()
    {
        var callId = await PlaceCall("sip:twice-a@127.0.0.1", "sip:twice-b@127.0.0.1");
        var first = await Run("CallBlindTransfer", new { callid = callId, leg = "caller", destination = "sip:busy-twice@127.0.0.1" });
        Assert.Equal("Ended failed", first.Codes[^1]);
        Assert.Contains("486", first.ErrorMessage);

        var second = await Run("CallBlindTransfer", new { callid = callId, leg = "caller", destination = "sip:twice-c@127.0.0.1" });

        Assert.Equal(["Ended failed"], second.Codes);
        Assert.Equal(-32002, second.ErrorCode);
    }

    [Fact]
    public async Task Blind_transfer_to_a_phone_that_rejects_the_REFER_fails_by_watchdog()
    {
        var callId = await PlaceCall("sip:xfer-a@127.0.0.1", "sip:norefer-b@127.0.0.1");

        var run = await Run("CallBlindTransfer", new { callid = callId, leg = "callee", destination = "sip:xfer-c@127.0.0.1" });

        Assert.Equal(["TRANSFER_ACCEPT", "Ended failed"], run.Codes);
        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(4, await mi.DialogStateAsync(callId)); // a failed transfer leaves the call up
    }

    [Fact]
    public async Task Attended_transfer_replaces_the_consultation_call()
    {
        var callA = await PlaceCall("sip:att-a@127.0.0.1", "sip:att-b@127.0.0.1");
        var callB = await PlaceCall("sip:att-a@127.0.0.1", "sip:att-c@127.0.0.1");

        var run = await Run("CallAttendedTransfer", new { callidA = callA, legA = "callee", callidB = callB, legB = "callee" });

        Assert.Equal(["TRANSFER_ACCEPT", "CALL_START", "Ended ok"], run.Codes);
        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(4, await mi.DialogStateAsync(Str(run.Event("CALL_START"), "params", "callid")!));
        Assert.Equal(0, await mi.DialogStateOnceSettledAsync(callA, 0));
    }

    [Fact]
    public async Task Attended_transfer_with_an_unknown_consultation_call_fails_32001()
    {
        var callA = await PlaceCall("sip:att2-a@127.0.0.1", "sip:att2-b@127.0.0.1");

        var run = await Run("CallAttendedTransfer", new { callid_a = callA, leg_a = "callee", callid_b = "no-such-b", leg_b = "callee" });

        Assert.Equal("Ended failed", run.Codes[^1]);
        Assert.Equal(-32001, run.ErrorCode);
    }

    [Fact]
    public async Task Hold_during_a_transfer_in_progress_is_refused_with_32002()
    {
        var callId = await PlaceCall("sip:busy-test-a@127.0.0.1".Replace("busy-", "cx-"), "sip:cx-b@127.0.0.1");
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);
        await client.SendAsync(new
        {
            jsonrpc = "2.0", id = "t", method = "CallBlindTransfer",
            @params = new { callid = callId, leg = "callee", destination = "sip:slow-cx-c@127.0.0.1" },
        });
        await client.ReceiveUntilAsync(m => m.Any(x => Str(x, "params", "data") == "CALL_START"), Timeout);

        var hold = await Run("CallHold", new { callid = callId });

        Assert.Equal(["Ended failed"], hold.Codes);
        Assert.Equal(-32002, hold.ErrorCode);
        await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);
    }
}
