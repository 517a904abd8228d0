using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CallCluster.Simulator.Tests.Support;
using CallCluster.TestSupport;
using Xunit.Abstractions;

namespace CallCluster.Simulator.Tests;

/// <summary>
/// Soak: 10,000 click-to-dial flows exactly as capture b_click_to_dial does them, over real UDP with 200 in flight, then
/// sim_stats must show no dialog, transaction or dialog actor left. A correctness test: the timings only make it short.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Flows = 10_000;
    private const int InFlight = 200;
    private const int Phones = 100;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Ten_thousand_click_to_dial_flows_leave_no_dialog_or_transaction()
    {
        var options = new SimulatorOptions
        {
            AnswerDelay = TimeSpan.FromMilliseconds(1),
            InDialogDelay = TimeSpan.FromMilliseconds(1),
            TransactionTimeout = TimeSpan.FromSeconds(5),
            EndedDialogRetention = TimeSpan.Zero, // so ended dialogs leave the table as soon as they are purged
        };
        await using var sim = await OpenSipsSimulator.StartAsync(options);
        using var mi = new MiTestClient(sim.MiEndPoint);
        using var router = new EventRouter();
        foreach (var e in new[] { "E_DLG_STATE_CHANGED", "E_CALL_TRANSFER" })
            Assert.Equal("OK", (await mi.ResultAsync("event_subscribe", new { @event = e, socket = router.SocketText }, Step)).GetString());

        var sw = Stopwatch.StartNew();
        var completed = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        await Parallel.ForEachAsync(Enumerable.Range(0, Flows), new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = deadline.Token },
            async (i, _) =>
            {
                await ClickToDialAsync(mi, router, i);
                Interlocked.Increment(ref completed);
            });
        output.WriteLine($"{completed} flows in {sw.Elapsed.TotalSeconds:F1} s, {router.Received} events");
        Assert.Equal(Flows, completed);

        // Every flow saw its 9 events (A: 1→3, 3→4, 4→5; transfer start, ok; new dialog: 1→2, 2→3, 3→4, 4→5).
        Assert.Equal(0, router.Unrouted);
        Assert.Equal(0, router.OpenRoutes);
        Assert.Equal(0, mi.Unmatched);

        // Stopped dialog actors leave asynchronously: poll (bounded) until the proxy holds nothing.
        var stats = default(JsonElement);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            stats = await mi.ResultAsync("sim_stats", null, Step);
            if (Count(stats, "dialog_actors") == 0) break;
            await Task.Delay(50);
        }
        output.WriteLine(stats.GetRawText());
        Assert.Equal(0, Count(stats, "dialogs"));
        Assert.Equal(0, Count(stats, "ended_dialogs"));
        Assert.Equal(0, Count(stats, "transactions"));
        Assert.Equal(0, Count(stats, "dialog_actors"));
        Assert.Equal(0, Count(stats, "transfer_marks"));
        Assert.Equal(2 * Phones, Count(stats, "phones")); // the a… and c… phones; the To: placeholder is never rung
        var dialogs = await mi.ResultAsync("dlg_list", null, Step);
        Assert.Equal(0, dialogs.GetProperty("Dialogs").GetArrayLength());
    }

    private static int Count(JsonElement stats, string name) => stats.GetProperty(name).GetInt32();

    /// <summary>
    /// t_uac_dlg INVITE looped through the proxy (phone aN answers) → after the ACK, call_transfer of the callee leg to phone cN
    /// → start / ok → dlg_end_dlg of the placeholder dialog and of the new one → both reach state 5.
    /// </summary>
    private static async Task ClickToDialAsync(MiTestClient mi, EventRouter router, int i)
    {
        var n = (i % Phones).ToString(CultureInfo.InvariantCulture);
        var callId = "c2d-soak-" + i.ToString(CultureInfo.InvariantCulture);
        var inbox = router.Open(callId);
        var invite = await mi.ResultAsync("t_uac_dlg", new
        {
            method = "INVITE",
            ruri = $"sip:a{n}@127.0.0.1",
            headers = $"From: <sip:a{n}@127.0.0.1>\r\nTo: <sip:b{n}@127.0.0.1>\r\nContact: <sip:a{n}@127.0.0.1>\r\nContent-Type: application/sdp\r\nCSeq: 1 INVITE\r\nCall-Id: {callId}\r\n",
            body = "v=0\r\no=click-to-dial 0 0 IN IP4 0.0.0.0\r\ns=session\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
            next_hop = "sip:127.0.0.1:5060",
        }, Step);
        Assert.Equal("200 Answering", invite.GetProperty("Status").GetString());
        await inbox.WaitForAsync(e => e.P("callid") == callId && e.P("new_state") == "4", Step);

        Assert.Equal("Accepted", (await mi.ResultAsync("call_transfer", new { callid = callId, leg = "callee", destination = $"sip:c{n}@127.0.0.1" }, Step)).GetString());
        await inbox.WaitForAsync(e => e.P("callid") == callId && e.P("state") == "start", Step);
        var ok = await inbox.WaitForAsync(e => e.P("callid") == callId && e.P("state") == "ok", Step);
        var newCall = ok.P("transfer_callid")!;
        await inbox.WaitForAsync(e => e.P("callid") == newCall && e.P("new_state") == "4", Step);

        Assert.Equal("OK", (await mi.ResultAsync("dlg_end_dlg", new { dialog_id = callId }, Step)).GetString());
        Assert.Equal("OK", (await mi.ResultAsync("dlg_end_dlg", new { dialog_id = newCall }, Step)).GetString());
        await inbox.WaitForAsync(e => e.P("callid") == callId && e.P("new_state") == "5", Step);
        await inbox.WaitForAsync(e => e.P("callid") == newCall && e.P("new_state") == "5", Step);
        Assert.Equal(9, inbox.Seen.Count);
        router.Close(callId, newCall);
    }
}
