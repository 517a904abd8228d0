using System.Diagnostics;
using Akka.Cluster;
using CallCluster.EndToEnd.Tests.Support;
using CallCluster.Hosting.Tracing;

namespace CallCluster.EndToEnd.Tests;

/// <summary>docs/tracing.md across nodes: a gateway-only ActorSystem and a call node (two cluster members in this
/// process, talking through Akka remoting, so StartCommand goes through the MessagePack serializer). The gateway's span
/// and the command's span are made on different members and are still parent and child of one trace: the only link
/// between them is StartCommand's traceparent.</summary>
public sealed class TracingAcrossNodesTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TraceCapture _traces = new();
    private EmbeddedNode _callNode = null!;
    private EmbeddedNode _gateway = null!;

    public async Task InitializeAsync()
    {
        _callNode = await EmbeddedNode.StartAsync();
        var seed = Cluster.Get(_callNode.Host.System).SelfAddress;
        _gateway = await EmbeddedNode.StartAsync($"""
            callcluster.roles = "gateway"
            callcluster.seeds = "{seed}"
            """);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _callNode.DisposeAsync();
        _traces.Dispose();
    }

    [Fact]
    public async Task The_command_span_on_the_call_node_is_the_child_of_the_gateway_span_on_the_gateway()
    {
        Assert.Null(_gateway.Host.Mi); // the gateway member runs no command: the command span can only be the call node's
        var callId = await _callNode.Simulator!.PlaceCallAsync("sip:trace-x-alice@127.0.0.1", "sip:trace-x-bob@127.0.0.1");
        await using var client = await RpcTestClient.ConnectAsync(_gateway.Endpoint);

        var run = await CommandRun.RunAsync(client, "CallEnd", new { callid = callId }, Timeout);

        Assert.Equal(["CALL_END", "Ended ok"], run.Codes);
        var gateway = await _traces.WaitForSpanAsync(
            s => s.OperationName == TraceNames.GatewayCommand && (string?)s.GetTagItem(TraceNames.CmdId) == run.CmdId, Timeout, "gateway span");
        var spans = await _traces.WaitForTraceAsync(gateway.TraceId, s => s.Any(x => x.OperationName == TraceNames.Command), Timeout,
            "command span");
        Assert.Equal(default, gateway.ParentSpanId);
        var command = Assert.Single(spans, s => s.OperationName == TraceNames.Command);
        Assert.Equal(gateway.SpanId, command.ParentSpanId);
        Assert.True(command.HasRemoteParent, "the command span's parent came from the message, not from this process's memory");
        Assert.False(gateway.HasRemoteParent);
        Assert.Equal(("ok", run.CmdId), ((string?)command.GetTagItem(TraceNames.Outcome), (string?)command.GetTagItem(TraceNames.CmdId)));
        var end = Assert.Single(spans, s => s.OperationName == "mi dlg_end_dlg");
        Assert.Equal(command.SpanId, end.ParentSpanId);
        Assert.Equal(ActivityKind.Client, end.Kind);
    }
}
