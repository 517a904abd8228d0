using CallCluster.EndToEnd.Tests.Support;
using CallCluster.Hosting.Tracing;

namespace CallCluster.EndToEnd.Tests;

/// <summary>docs/tracing.md "Enabling export": a node started with callcluster.tracing.otlp-endpoint sends its spans
/// to that collector over OTLP (here http/protobuf), under its service name, and flushes them when it stops.</summary>
public sealed class OtlpExportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_node_with_an_OTLP_endpoint_exports_a_commands_spans_to_the_collector()
    {
        await using var collector = await OtlpCollector.StartAsync();
        var node = await EmbeddedNode.StartAsync($"""
            callcluster.tracing.otlp-endpoint = "{collector.Url}"
            callcluster.tracing.otlp-protocol = "http/protobuf"
            """);
        CommandRun run;
        try
        {
            var callId = await node.Simulator!.PlaceCallAsync("sip:otlp-alice@127.0.0.1", "sip:otlp-bob@127.0.0.1");
            await using var client = await RpcTestClient.ConnectAsync(node.Endpoint);
            run = await CommandRun.RunAsync(client, "CallEnd", new { callid = callId }, Timeout);
        }
        finally
        {
            await node.DisposeAsync(); // the provider is disposed with the ActorSystem: what is queued is sent now
        }

        Assert.Equal(["CALL_END", "Ended ok"], run.Codes);
        await collector.WaitForAsync(Timeout, run.CmdId, "callcluster-node", TraceNames.GatewayCommand, TraceNames.Command,
            "mi dlg_end_dlg", "E_DLG_STATE_CHANGED");
        Assert.All(collector.Exports, e => Assert.Equal("application/x-protobuf", e.ContentType));
    }
}
