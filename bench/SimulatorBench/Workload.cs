using System.Diagnostics;
using System.Globalization;

namespace CallCluster.SimulatorBench;

/// <summary>
/// One lane = one async loop with one request (or one click-to-dial flow) outstanding; --in-flight lanes run at once.
/// A lane stops when the shared request budget is spent or the phase's deadline passed; every wait is bounded.
/// </summary>
public sealed class Workload(BenchOptions options, MiLoadClient[] clients, EventCounter events)
{
    private const int Phones = 100;
    private const int RequestsPerFlow = 4;
    private long _budget;
    private long _flowSeq;

    public async Task<LaneRecord[]> RunAsync(TimeSpan duration, long requestBudget)
    {
        _budget = requestBudget;
        using var deadline = new CancellationTokenSource(duration);
        var lanes = Enumerable.Range(0, options.InFlight).Select(_ => new LaneRecord()).ToArray();
        var tasks = lanes.Select((rec, i) => Task.Run(() => LaneAsync(clients[i % clients.Length], rec, i, deadline.Token))).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return lanes;
    }

    private bool Take(long n) => Interlocked.Add(ref _budget, -n) >= 0;

    private async Task LaneAsync(MiLoadClient client, LaneRecord rec, int lane, CancellationToken stop)
    {
        var req = new Requests();
        var unit = options.Mix == Mix.ClickToDial ? RequestsPerFlow : 1;
        while (!stop.IsCancellationRequested && Take(unit))
        {
            switch (options.Mix)
            {
                case Mix.Version: await OneAsync(client, rec, req, "version", null).ConfigureAwait(false); break;
                case Mix.DlgList: await OneAsync(client, rec, req, "dlg_list", null).ConfigureAwait(false); break;
                default: await ClickToDialAsync(client, rec, req, lane).ConfigureAwait(false); break;
            }
        }
    }

    private async Task<MiReply?> OneAsync(MiLoadClient client, LaneRecord rec, Requests req, string method,
        Action<System.Text.Json.Utf8JsonWriter>? parameters, bool keepBody = false, Func<MiReply, bool>? success = null)
    {
        var id = client.NextId();
        var bytes = req.Build(method, id, parameters);
        var start = Stopwatch.GetTimestamp();
        try
        {
            var reply = await client.CallAsync(id, bytes, keepBody, options.Timeout).ConfigureAwait(false);
            var ok = reply.Ok && (success?.Invoke(reply) ?? true);
            rec.Add(start, ok);
            return ok ? reply : null;
        }
        catch (TimeoutException)
        {
            rec.Requests++;
            rec.Errors++;
            rec.Timeouts++;
            return null;
        }
    }

    /// <summary>As capture b_click_to_dial: t_uac_dlg INVITE via the proxy, call_transfer of the callee leg, end both dialogs.</summary>
    private async Task ClickToDialAsync(MiLoadClient client, LaneRecord rec, Requests req, int lane)
    {
        var seq = Interlocked.Increment(ref _flowSeq).ToString(CultureInfo.InvariantCulture);
        var n = (lane % Phones).ToString(CultureInfo.InvariantCulture);
        var callId = "c2d-bench-" + seq;
        var flow = events.Watch(callId);
        try
        {
            var invite = await OneAsync(client, rec, req, "t_uac_dlg", w =>
            {
                w.WriteString("method", "INVITE");
                w.WriteString("ruri", $"sip:a{n}@127.0.0.1");
                w.WriteString("headers", $"From: <sip:a{n}@127.0.0.1>\r\nTo: <sip:b{n}@127.0.0.1>\r\nContact: <sip:a{n}@127.0.0.1>\r\nContent-Type: application/sdp\r\nCSeq: 1 INVITE\r\nCall-Id: {callId}\r\n");
                w.WriteString("body", Requests.ClickToDialBody);
                w.WriteString("next_hop", "sip:127.0.0.1:5060");
            }, keepBody: true, success: r => r.Body!.Contains("\"Status\":\"200 ", StringComparison.Ordinal)).ConfigureAwait(false);
            if (invite is null) return;
            await flow.Confirmed.Task.WaitAsync(options.Timeout).ConfigureAwait(false);
            var transfer = await OneAsync(client, rec, req, "call_transfer", w =>
            {
                w.WriteString("callid", callId);
                w.WriteString("leg", "callee");
                w.WriteString("destination", $"sip:c{n}@127.0.0.1");
            }).ConfigureAwait(false);
            if (transfer is null) return;
            var newCall = await flow.TransferOk.Task.WaitAsync(options.Timeout).ConfigureAwait(false);
            await OneAsync(client, rec, req, "dlg_end_dlg", w => w.WriteString("dialog_id", callId)).ConfigureAwait(false);
            await OneAsync(client, rec, req, "dlg_end_dlg", w => w.WriteString("dialog_id", newCall)).ConfigureAwait(false);
            rec.Flows++;
        }
        catch (TimeoutException)
        {
            // An event that never came: counted as a timed-out (failed) flow step.
            rec.Errors++;
            rec.Timeouts++;
        }
        finally
        {
            events.Forget(callId);
        }
    }
}
