using CallCluster.EndToEnd.Tests.Support;

namespace CallCluster.EndToEnd.Tests.Compat;

/// <summary>A client written like the original <c>call-api-client</c>, pointed at <c>/call-api/compat</c> of an
/// embedded node and its OpenSIPS simulator, runs each of the six commands to its end and exits on its own.</summary>
[Collection(CompatNodeCollection.Name)]
public sealed class OriginalClientTests(FastTimersNodeFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private EmbeddedNode Node => fixture.Node;
    private Uri Compat => Node.Host.Gateway!.CompatEndpoint!;

    private Task<OriginalStyleClient.Run> Run(string method, object parameters) =>
        OriginalStyleClient.RunAsync(Compat, method, parameters, Timeout);

    private static void AssertStarted(OriginalStyleClient.Run run)
    {
        Assert.True(run.EndedOnItsOwn, "the client did not see Ended or Error: " + string.Join(" ", run.Messages.Select(m => m.GetRawText())));
        var result = run.Messages[0].GetProperty("result");
        Assert.Equal("Started", result.GetProperty("event").GetString());
        Assert.Equal("", run.Messages[0].GetProperty("id").GetString());
        var cmdId = result.GetProperty("cmd_id").GetString();
        Assert.All(run.Messages.Skip(1), m => Assert.Equal(cmdId, m.GetProperty("params").GetProperty("cmd_id").GetString()));
    }

    private async Task<string> ConnectedCall(string caller, string callee)
    {
        var run = await Run("CallStart", new { caller, callee });
        AssertStarted(run);
        Assert.Equal(["CallerAnswered", "Transferring", "TransferStart", "CalleeAnswered", "Ended"], run.Events);
        Assert.All(run.Messages.Skip(1), m => Assert.Equal("CallStart", m.GetProperty("method").GetString()));
        // The browser example takes the call's id from TransferStart's data.callid.
        var callId = run.Data("TransferStart", "callid")!;
        Assert.Equal(callId, run.Data("CalleeAnswered", "callid"));
        Assert.Equal((caller, callee), (run.Data("CallerAnswered", "caller"), run.Data("CallerAnswered", "callee")));
        return callId;
    }

    [Fact]
    public async Task CallStart_connects_the_phones_and_names_the_new_call()
    {
        var callId = await ConnectedCall("sip:oc-alice@127.0.0.1", "sip:oc-bob@127.0.0.1");

        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(4, await mi.DialogStateAsync(callId));
    }

    [Fact]
    public async Task CallHold_then_CallUnhold_report_each_leg()
    {
        var callId = await ConnectedCall("sip:oc-hold-a@127.0.0.1", "sip:oc-hold-b@127.0.0.1");

        var hold = await Run("CallHold", new { callid = callId });
        AssertStarted(hold);
        Assert.Equal("CallHolding", hold.Events[0]);
        Assert.Equal("Ended", hold.Events[^1]);
        Assert.Equal(["CallHoldStart", "CallHoldStart", "CallHoldSuccessful", "CallHoldSuccessful"], hold.Events.Skip(1).SkipLast(1).Order());

        var unhold = await Run("CallUnhold", new { callid = callId });
        AssertStarted(unhold);
        Assert.Equal(["CallUnholding", "CallUnholdStart", "CallUnholdSuccessful", "CallUnholdStart", "CallUnholdSuccessful", "Ended"], unhold.Events);
        Assert.All(unhold.Messages.Skip(1), m => Assert.Equal("CallUnhold", m.GetProperty("method").GetString()));
    }

    [Fact]
    public async Task CallBlindTransfer_reports_the_new_call_then_success()
    {
        var callId = await ConnectedCall("sip:oc-blind-a@127.0.0.1", "sip:oc-blind-b@127.0.0.1");

        var run = await Run("CallBlindTransfer", new { callid = callId, leg = "callee", destination = "sip:oc-blind-c@127.0.0.1" });

        AssertStarted(run);
        Assert.Equal(["Transferring", "TransferStart", "TransferSuccessful", "Ended"], run.Events);
        var newCall = run.Data("TransferStart", "callid")!;
        Assert.Equal(newCall, run.Data("TransferSuccessful", "callid"));
        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(4, await mi.DialogStateAsync(newCall));
    }

    [Fact]
    public async Task CallAttendedTransfer_with_the_original_parameter_names()
    {
        var callA = await Node.Simulator!.PlaceCallAsync("sip:oc-att-a@127.0.0.1", "sip:oc-att-b@127.0.0.1");
        var callB = await Node.Simulator!.PlaceCallAsync("sip:oc-att-a@127.0.0.1", "sip:oc-att-c@127.0.0.1");

        var run = await Run("CallAttendedTransfer", new { callidA = callA, legA = "callee", callidB = callB, legB = "callee" });

        AssertStarted(run);
        Assert.Equal(["Transferring", "TransferStart", "TransferSuccessful", "Ended"], run.Events);
    }

    [Fact]
    public async Task CallEnd_sends_only_Ended()
    {
        var callId = await ConnectedCall("sip:oc-end-a@127.0.0.1", "sip:oc-end-b@127.0.0.1");

        var run = await Run("CallEnd", new { callid = callId });

        AssertStarted(run);
        Assert.Equal(["Ended"], run.Events);
        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(0, await mi.DialogStateAsync(callId));
    }

    [Fact]
    public async Task A_failed_transfer_ends_with_Error_where_the_original_hangs()
    {
        var run = await Run("CallStart", new { caller = "sip:oc-fail-alice@127.0.0.1", callee = "sip:busy-oc@127.0.0.1" });

        AssertStarted(run);
        Assert.Equal(["CallerAnswered", "Transferring", "TransferStart", "Error"], run.Events);
        Assert.Contains("486", run.Notification("Error").GetProperty("params").GetProperty("data").GetString());
    }

    [Fact]
    public async Task A_command_on_an_unknown_call_ends_with_Error()
    {
        var run = await Run("CallHold", new { callid = "oc-no-such-call" });

        AssertStarted(run);
        Assert.Equal(["Error"], run.Events);
    }
}
