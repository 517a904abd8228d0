using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CallCluster.EndToEnd.Tests.Support;
using CallCluster.Hosting.Tracing;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>docs/tracing.md through the whole embedded product with the in-memory exporter: a command is one trace —
/// the gateway's span at the root (or under a REST client's traceparent), the command's span its child, each MI request
/// a child of the command's span with its method, tag and outcome, and the EVI events that answered it as events on
/// the command's span.</summary>
public sealed class TracingTests(FastTimersNodeFixture fixture) : IClassFixture<FastTimersNodeFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TraceCapture _traces = new();

    private EmbeddedNode Node => fixture.Node;

    public void Dispose() => _traces.Dispose();

    [Fact]
    public async Task CallEnd_is_one_trace_gateway_then_command_then_dlg_end_dlg_with_the_deleted_event()
    {
        var callId = await Node.Simulator!.PlaceCallAsync("sip:trace-alice@127.0.0.1", "sip:trace-bob@127.0.0.1");
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);

        var run = await CommandRun.RunAsync(client, "CallEnd", new { callid = callId }, Timeout);

        Assert.Equal(["CALL_END", "Ended ok"], run.Codes);
        var (gateway, command, mi) = await CommandTraceAsync(run.CmdId, "CallEnd", GatewaySpans.WebSocket);
        Assert.Equal(default, gateway.ParentSpanId); // the root: a WebSocket request carries no trace context
        AssertCommand(command, "ok");

        var end = Assert.Single(mi, s => s.OperationName == "mi dlg_end_dlg");
        Assert.Equal(("success", 1), (Tag(end, TraceNames.MiOutcome), end.GetTagItem(TraceNames.MiAttempts)));
        Assert.Equal(ActivityStatusCode.Unset, end.Status);

        var evi = EviEvents(command);
        Assert.Contains(("E_DLG_STATE_CHANGED", "5", callId), evi);
        // The deleted event answers the dlg_end_dlg: it reached the command after the request's reply went out.
        var deleted = command.Events.First(e => e.Name == TraceNames.EviEvent && (string?)e.Tags.First(t => t.Key == TraceNames.EviState).Value == "5");
        Assert.True(deleted.Timestamp >= end.StartTimeUtc, "the state-5 event precedes the dlg_end_dlg request");
    }

    [Fact]
    public async Task CallStart_traces_the_INVITE_the_REFER_and_the_dialog_and_transfer_events()
    {
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);

        var run = await CommandRun.RunAsync(client, "CallStart",
            new { caller = "sip:trace-carol@127.0.0.1", callee = "sip:trace-dave@127.0.0.1" }, Timeout);

        Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], run.Codes);
        var placeholder = Str(run.Event("CALL_ANSWER"), "params", "callid")!;
        var (_, command, mi) = await CommandTraceAsync(run.CmdId, "CallStart", GatewaySpans.WebSocket,
            spans => spans.Any(s => s.OperationName == "mi t_uac_dlg") && spans.Any(s => s.OperationName == "mi call_transfer"));
        AssertCommand(command, "ok");

        var invite = Assert.Single(mi, s => s.OperationName == "mi t_uac_dlg");
        Assert.Equal(("invite", "success"), (Tag(invite, TraceNames.MiTag), Tag(invite, TraceNames.MiOutcome)));
        var transfer = Assert.Single(mi, s => s.OperationName == "mi call_transfer");
        Assert.Equal(("transfer", "success"), (Tag(transfer, TraceNames.MiTag), Tag(transfer, TraceNames.MiOutcome)));
        Assert.True(transfer.StartTimeUtc >= invite.StartTimeUtc, "the REFER went out before the INVITE");

        // In the order they reached the command: the placeholder answered (state 4), then the REFER's start and ok.
        var evi = EviEvents(command);
        var answered = IndexOf(evi, ("E_DLG_STATE_CHANGED", "4", placeholder));
        var referStarted = IndexOf(evi, ("E_CALL_TRANSFER", "start", placeholder));
        var referOk = IndexOf(evi, ("E_CALL_TRANSFER", "ok", placeholder));
        Assert.True(answered >= 0 && answered < referStarted && referStarted < referOk,
            "EVI events: " + string.Join(", ", evi));
    }

    [Fact]
    public async Task A_failed_command_carries_its_error_code_and_the_MI_failure()
    {
        await using var client = await RpcTestClient.ConnectAsync(Node.Endpoint);

        var run = await CommandRun.RunAsync(client, "CallEnd", new { callid = "trace-no-such-call" }, Timeout);

        Assert.Equal(-32001, run.ErrorCode);
        var (_, command, mi) = await CommandTraceAsync(run.CmdId, "CallEnd", GatewaySpans.WebSocket);
        AssertCommand(command, "failed");
        Assert.Equal(-32001, command.GetTagItem(TraceNames.ErrorCode));
        Assert.Equal(ActivityStatusCode.Error, command.Status);
        Assert.Contains(mi, s => Tag(s, TraceNames.MiOutcome) == "failure" && s.GetTagItem(TraceNames.MiCode) is 404
            && s.Status == ActivityStatusCode.Error);
    }

    [Fact]
    public async Task A_REST_request_with_a_traceparent_continues_the_clients_trace()
    {
        var callId = await Node.Simulator!.PlaceCallAsync("sip:trace-erin@127.0.0.1", "sip:trace-frank@127.0.0.1");
        using var rest = new RestTestClient(Node.Host.Gateway!.HttpEndpoint);
        await rest.WaitForCallAsync(callId, Timeout);
        var clientTrace = ActivityTraceId.CreateRandom();
        var clientSpan = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/calls/{Uri.EscapeDataString(callId)}/end");
        request.Headers.Add("traceparent", $"00-{clientTrace}-{clientSpan}-01");

        using var response = await rest.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var cmdId = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("cmd_id").GetString()!;
        var (gateway, command, mi) = await CommandTraceAsync(cmdId, "CallEnd", GatewaySpans.Rest);
        Assert.Equal((clientTrace, clientSpan), (gateway.TraceId, gateway.ParentSpanId));
        AssertCommand(command, "ok");
        Assert.Contains(mi, s => s.OperationName == "mi dlg_end_dlg");
    }

    /// <summary>Waits for the command's trace and checks its shape: the gateway span (accepted, with the command's
    /// tags), exactly one command span as its child, and nothing else in the trace but MI spans under the command.</summary>
    private async Task<(Activity Gateway, Activity Command, IReadOnlyList<Activity> Mi)> CommandTraceAsync(string cmdId,
        string method, string transport, Func<IReadOnlyList<Activity>, bool>? alsoWaitFor = null)
    {
        var gateway = await _traces.WaitForSpanAsync(
            s => s.OperationName == TraceNames.GatewayCommand && Tag(s, TraceNames.CmdId) == cmdId, Timeout, "gateway span of " + cmdId);
        var spans = await _traces.WaitForTraceAsync(gateway.TraceId,
            s => s.Any(x => x.OperationName == TraceNames.Command) && (alsoWaitFor?.Invoke(s) ?? true), Timeout, "command span of " + cmdId);

        Assert.Equal(ActivityKind.Server, gateway.Kind);
        Assert.Equal((cmdId, method, transport, "accepted"),
            (Tag(gateway, TraceNames.CmdId), Tag(gateway, TraceNames.Method), Tag(gateway, TraceNames.Transport), Tag(gateway, TraceNames.Outcome)));
        Assert.Equal(false, gateway.GetTagItem(TraceNames.Existing));

        var command = Assert.Single(spans, s => s.OperationName == TraceNames.Command);
        Assert.Equal(gateway.SpanId, command.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, command.Kind);
        Assert.Equal((cmdId, method), (Tag(command, TraceNames.CmdId), Tag(command, TraceNames.Method)));
        Assert.Equal(false, command.GetTagItem(TraceNames.Resumed));
        Assert.True(command.StartTimeUtc >= gateway.StartTimeUtc);

        var others = spans.Where(s => s != gateway && s != command).ToList();
        Assert.NotEmpty(others);
        Assert.All(others, s =>
        {
            Assert.StartsWith(TraceNames.MiPrefix, s.OperationName);
            Assert.Equal(command.SpanId, s.ParentSpanId);
            Assert.Equal(ActivityKind.Client, s.Kind);
            Assert.Equal(s.OperationName[TraceNames.MiPrefix.Length..], Tag(s, TraceNames.MiMethod));
            Assert.NotNull(Tag(s, TraceNames.MiOutcome));
            Assert.True(s.StartTimeUtc >= command.StartTimeUtc, s.OperationName + " starts before its command");
        });
        return (gateway, command, others);
    }

    private static void AssertCommand(Activity command, string outcome) =>
        Assert.Equal(outcome, Tag(command, TraceNames.Outcome));

    private static IReadOnlyList<(string Name, string State, string CallId)> EviEvents(Activity command) =>
        [.. command.Events.Where(e => e.Name == TraceNames.EviEvent).Select(e =>
        {
            var tags = e.Tags.ToDictionary(t => t.Key, t => (string?)t.Value);
            return (tags[TraceNames.EviName]!, tags[TraceNames.EviState]!, tags[TraceNames.EviCallId]!);
        })];

    private static string? Tag(Activity span, string key) => span.GetTagItem(key) as string;

    private static int IndexOf(IReadOnlyList<(string Name, string State, string CallId)> events, (string, string, string) wanted)
    {
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] == wanted) return i;
        }

        return -1;
    }
}
