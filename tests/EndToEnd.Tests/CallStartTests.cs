using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>CallStart (click-to-dial) against the simulator's phones: the success sequence and every failure path.</summary>
public sealed class CallStartTests(FastTimersNodeFixture fixture) : IClassFixture<FastTimersNodeFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private EmbeddedNode Node => fixture.Node;

    private async Task<CommandRun> StartCall(string caller, string callee)
    {
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);
        return await CommandRun.RunAsync(client, "CallStart", new { caller, callee }, Timeout);
    }

    [Fact]
    public async Task Click_to_dial_connects_caller_and_callee_and_ends_the_placeholder()
    {
        var run = await StartCall("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");

        Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], run.Codes);
        var placeholder = Str(run.Event("CALL_ANSWER"), "params", "callid")!;
        Assert.Equal("caller", Str(run.Event("CALL_ANSWER"), "params", "leg"));
        var newCall = Str(run.Event("CALL_START"), "params", "callid")!;
        Assert.NotEqual(placeholder, newCall);
        Assert.NotEqual(run.CmdId, placeholder);
        Assert.Equal(newCall, Str(run.Event("CALL_ANSWER", 1), "params", "callid"));
        Assert.Equal("callee", Str(run.Event("CALL_ANSWER", 1), "params", "leg"));

        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(4, await mi.DialogStateAsync(newCall));
        Assert.Equal(0, await mi.DialogStateOnceSettledAsync(placeholder, 0));
    }

    [Theory]
    [InlineData("sip:busy-caller@127.0.0.1", "486")]
    [InlineData("sip:reject-caller@127.0.0.1", "603")]
    [InlineData("sip:noanswer-caller@127.0.0.1", "408")]
    public async Task A_caller_that_does_not_answer_ends_failed_with_the_sip_status(string caller, string status)
    {
        var run = await StartCall(caller, "sip:bob@127.0.0.1");

        Assert.Equal(["Ended failed"], run.Codes);
        Assert.Equal(-32000, run.ErrorCode);
        Assert.Contains(status, run.ErrorMessage);
    }

    [Theory]
    [InlineData("sip:busy-callee@127.0.0.1", "486")]
    [InlineData("sip:reject-callee@127.0.0.1", "603")]
    [InlineData("sip:nobody-callee@127.0.0.1", "408")]
    public async Task A_callee_that_does_not_take_the_call_ends_failed_and_the_placeholder_is_cleaned_up(string callee, string status)
    {
        var run = await StartCall("sip:alice@127.0.0.1", callee);

        Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "Ended failed"], run.Codes);
        Assert.Contains(status, run.ErrorMessage);
        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(0, await mi.DialogStateOnceSettledAsync(Str(run.Event("CALL_ANSWER"), "params", "callid")!, 0));
    }

    [Fact]
    public async Task A_rejected_REFER_is_caught_by_the_watchdog_instead_of_hanging()
    {
        var run = await StartCall("sip:norefer-alice@127.0.0.1", "sip:bob@127.0.0.1");

        Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "Ended failed"], run.Codes);
        Assert.Contains("REFER", run.ErrorMessage);
        using var mi = new MiTestClient(Node.Simulator!.MiEndPoint);
        Assert.Equal(0, await mi.DialogStateOnceSettledAsync(Str(run.Event("CALL_ANSWER"), "params", "callid")!, 0));
    }

    [Fact]
    public async Task A_slow_callee_still_completes()
    {
        var run = await StartCall("sip:alice@127.0.0.1", "sip:slow-bob@127.0.0.1");

        Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], run.Codes);
    }

    [Fact]
    public async Task Two_hundred_concurrent_CallStarts_on_one_connection_do_not_cross_talk()
    {
        const int count = 200;
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);
        for (var i = 0; i < count; i++)
        {
            await client.SendAsync(new
            {
                jsonrpc = "2.0", id = i, method = "CallStart",
                @params = new { caller = $"sip:c{i}@127.0.0.1", callee = $"sip:d{i}@127.0.0.1" },
            });
        }

        var messages = await client.ReceiveUntilAsync(m => m.Count(x => IsNotification(x, "Ended")) == count, TimeSpan.FromSeconds(120));

        var byCmd = messages.Where(IsReply).ToDictionary(r => Str(r, "result", "cmd_id")!, r => Int(r, "id"));
        Assert.Equal(count, byCmd.Count);
        var newCalls = new HashSet<string>();
        foreach (var group in messages.Where(m => !IsReply(m)).GroupBy(m => Str(m, "params", "cmd_id")!))
        {
            Assert.True(byCmd.ContainsKey(group.Key));
            var codes = group.Select(n => Str(n, "method") == "Ended" ? "Ended " + Str(n, "params", "status") : Str(n, "params", "data")).ToList();
            Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], codes);
            Assert.Equal(Enumerable.Range(1, 5), group.Select(n => Int(n, "params", "seq")));
            Assert.True(newCalls.Add(Str(group.ElementAt(2), "params", "callid")!), "two commands report the same new call");
        }
    }
}
