using System.Diagnostics;
using Akka.Configuration;
using CallCluster.Hosting;
using CallCluster.Hosting.Tracing;
using CallCluster.Node.OpenSips;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace CallCluster.Node.Tests.Hosting;

/// <summary>docs/tracing.md: export is off unless an OTLP endpoint is configured, and the span rules every actor relies
/// on (explicit parents, Activity.Current left alone, nothing without a listener). Not run in parallel with other
/// classes: a TracerProvider's listener is process-wide.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class TracingSetupTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void The_shipped_configuration_exports_nothing_and_builds_no_provider()
    {
        var config = ConfigLoader.Load(NodeHost.DefaultLayers(), []);

        Assert.False(TracingSettings.FromConfig(config, NoEnvironment).Enabled);
        Assert.Null(TracingSetup.Build(config, "test", NoEnvironment));
        Assert.False(CallClusterTracing.Enabled);
        Assert.Null(CallClusterTracing.Start("x", ActivityKind.Internal, default));
        Assert.Null(GatewaySpans.StartCommand("cmd", "CallEnd", GatewaySpans.WebSocket));
    }

    [Fact]
    public void With_tracing_off_the_hot_path_hooks_allocate_nothing()
    {
        Assert.False(CallClusterTracing.Enabled);
        var call = new MiCall("dlg_end_dlg", [new("dialog_id", "1.2")], Tag: "end");
        var outcome = new MiTimeout("end", "dlg_end_dlg", TimeSpan.FromSeconds(1));
        long Hooks()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                var gateway = GatewaySpans.StartCommand("cmd", "CallEnd", GatewaySpans.WebSocket);
                _ = CallClusterTracing.TraceParentOf(gateway);
                GatewaySpans.Accepted(gateway, existing: false);
                var mi = MiTracing.Start(call);
                MiTracing.Retried(mi, 2);
                MiTracing.Finish(mi, outcome);
                CallClusterTracing.Stop(mi);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Hooks(); // the first run may JIT
        Assert.Equal(0, Hooks());
    }

    [Theory]
    [InlineData("http://collector:4317", "grpc", OtlpExportProtocol.Grpc)]
    [InlineData("http://collector:4318/v1/traces", "http/protobuf", OtlpExportProtocol.HttpProtobuf)]
    public void An_endpoint_in_the_configuration_turns_export_on(string endpoint, string protocol, OtlpExportProtocol expected)
    {
        var config = ConfigurationFactory.ParseString($"""
            callcluster.tracing.otlp-endpoint = "{endpoint}"
            callcluster.tracing.otlp-protocol = "{protocol}"
            """);

        var settings = TracingSettings.FromConfig(config, NoEnvironment);

        Assert.Equal((true, new Uri(endpoint), expected), (settings.Enabled, settings.OtlpEndpoint, settings.Protocol));
        using var provider = TracingSetup.Build(config, "test", NoEnvironment);
        Assert.NotNull(provider);
    }

    [Fact]
    public void The_standard_OTEL_endpoint_variable_turns_export_on_too()
    {
        var settings = TracingSettings.FromConfig(Config.Empty,
            name => name == "OTEL_EXPORTER_OTLP_ENDPOINT" ? "http://collector:4317" : null);

        Assert.Equal((true, (Uri?)null), (settings.Enabled, settings.OtlpEndpoint));
    }

    [Theory]
    [InlineData("callcluster.tracing.otlp-endpoint = \"collector:4317\"", "otlp-endpoint")]
    [InlineData("callcluster.tracing.otlp-endpoint = \"http://c:4317\"\ncallcluster.tracing.otlp-protocol = \"udp\"", "otlp-protocol")]
    public void A_bad_setting_is_refused_naming_it(string hocon, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => TracingSettings.FromConfig(ConfigurationFactory.ParseString(hocon), NoEnvironment));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void Spans_take_only_their_explicit_parent_and_leave_Activity_Current_as_it_was()
    {
        var exported = new List<Activity>();
        using var provider = TracingSetup.Builder("test").AddInMemoryExporter(exported).Build();
        using var unrelated = new Activity("unrelated").Start(); // what a dispatcher thread may hold from elsewhere

        var root = CallClusterTracing.Start("root", ActivityKind.Server, default);
        Assert.Same(unrelated, Activity.Current);
        var parent = CallClusterTracing.ParseTraceParent(CallClusterTracing.TraceParentOf(root));
        var child = CallClusterTracing.Start("child", ActivityKind.Consumer, parent);
        Assert.Same(unrelated, Activity.Current);
        CallClusterTracing.Stop(child);
        CallClusterTracing.Stop(root);

        Assert.Same(unrelated, Activity.Current);
        Assert.NotNull(root);
        Assert.NotNull(child);
        Assert.Equal(default, root.ParentSpanId); // not the unrelated current activity's child
        Assert.NotEqual(unrelated.TraceId, root.TraceId);
        Assert.Equal((root.TraceId, root.SpanId), (child.TraceId, child.ParentSpanId));
        Assert.Equal(["child", "root"], exported.Select(a => a.OperationName));
    }

    [Fact]
    public void An_MI_request_is_traced_only_under_the_span_it_carries()
    {
        var exported = new List<Activity>();
        using var provider = TracingSetup.Builder("test").AddInMemoryExporter(exported).Build();
        var command = CallClusterTracing.Start(TraceNames.Command, ActivityKind.Consumer, default)!;

        Assert.Null(MiTracing.Start(new MiCall("subscribers_list", [])));
        var call = new MiCall("dlg_end_dlg", [new("dialog_id", "1.2")], Tag: "cleanup") { TraceParent = command.Context };
        var span = MiTracing.Start(call);
        MiTracing.Retried(span, 2);
        MiTracing.Finish(span, new MiFailure("cleanup", "dlg_end_dlg", 404, "Dialog not found", null) { Attempts = 2 });

        var mi = Assert.Single(exported);
        Assert.Equal(("mi dlg_end_dlg", ActivityKind.Client, command.SpanId), (mi.OperationName, mi.Kind, mi.ParentSpanId));
        Assert.Equal(("dlg_end_dlg", "cleanup", "failure", 404, 2),
            (mi.GetTagItem(TraceNames.MiMethod), mi.GetTagItem(TraceNames.MiTag), mi.GetTagItem(TraceNames.MiOutcome),
                mi.GetTagItem(TraceNames.MiCode), mi.GetTagItem(TraceNames.MiAttempts)));
        Assert.Equal((ActivityStatusCode.Error, "Dialog not found"), (mi.Status, mi.StatusDescription));
        Assert.Equal([TraceNames.MiRetry], mi.Events.Select(e => e.Name));
        CallClusterTracing.Stop(command);
    }
}
