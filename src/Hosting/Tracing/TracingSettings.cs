using Akka.Configuration;
using OpenTelemetry.Exporter;

namespace CallCluster.Hosting.Tracing;

/// <summary><c>callcluster.tracing</c> (hocon/base.conf): where spans are exported. Off unless an OTLP endpoint is
/// given, here or in the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (then the exporter reads the other standard
/// OTEL_EXPORTER_OTLP_* variables itself).</summary>
/// <param name="OtlpEndpoint">The collector's URL (CALLCLUSTER_OTLP_ENDPOINT); null: the standard variable's, if any.</param>
public sealed record TracingSettings(Uri? OtlpEndpoint, OtlpExportProtocol Protocol, bool StandardEndpointSet)
{
    public const string EndpointPath = "callcluster.tracing.otlp-endpoint";
    public const string ProtocolPath = "callcluster.tracing.otlp-protocol";
    public const string StandardEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public bool Enabled => OtlpEndpoint is not null || StandardEndpointSet;

    public static TracingSettings FromConfig(Config config, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var text = config.GetString(EndpointPath, "")?.Trim() ?? "";
        Uri? endpoint = null;
        // "collector:4317" parses as a URI with the scheme "collector": only http(s) URLs name a collector.
        if (text.Length > 0 && !(Uri.TryCreate(text, UriKind.Absolute, out endpoint) && endpoint.Scheme is "http" or "https"))
        {
            throw new ConfigurationException($"{EndpointPath} = \"{text}\": expected an absolute URL, e.g. http://collector:4317");
        }

        var protocol = (config.GetString(ProtocolPath, "grpc") ?? "").Trim().ToLowerInvariant() switch
        {
            "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new ConfigurationException($"{ProtocolPath} = \"{other}\": expected grpc or http/protobuf"),
        };
        return new TracingSettings(endpoint, protocol, !string.IsNullOrWhiteSpace(environment(StandardEndpointVariable)));
    }
}
