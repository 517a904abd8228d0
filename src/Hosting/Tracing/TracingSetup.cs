using Akka.Actor;
using Akka.Event;
using Akka.Configuration;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CallCluster.Hosting.Tracing;

/// <summary>Turns tracing on for a process when <see cref="TracingSettings"/> say so: a TracerProvider listening to
/// <see cref="CallClusterTracing.SourceName"/> and exporting over OTLP, disposed (flushing what is queued) when the
/// ActorSystem terminates. Each host attaches it once (<see cref="TracingHostingExtensions.WithTracing"/>); with
/// nothing configured it does nothing and no listener exists, so every span start returns null.</summary>
public static class TracingSetup
{
    /// <summary>A builder listening to CallCluster's spans only; the exporter is the caller's (OTLP here, the in-memory
    /// exporter in tests).</summary>
    public static TracerProviderBuilder Builder(string serviceName) =>
        Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .AddSource(CallClusterTracing.SourceName);

    /// <summary>The OTLP provider of <paramref name="config"/>, or null when no endpoint is configured.</summary>
    public static TracerProvider? Build(Config config, string serviceName, Func<string, string?>? environment = null)
    {
        var settings = TracingSettings.FromConfig(config, environment);
        if (!settings.Enabled)
        {
            return null;
        }

        return Builder(serviceName)
            .AddOtlpExporter(options =>
            {
                // Only what CallCluster's own setting says: otherwise the exporter's defaults and the standard
                // OTEL_EXPORTER_OTLP_* variables apply.
                if (settings.OtlpEndpoint is { } endpoint)
                {
                    options.Endpoint = endpoint;
                    options.Protocol = settings.Protocol;
                }
            })
            .Build();
    }

    /// <summary>The one call each host makes after creating its ActorSystem.</summary>
    public static void Attach(ActorSystem system, string serviceName)
    {
        var provider = Build(system.Settings.Config, serviceName);
        if (provider is null)
        {
            return;
        }

        system.Log.Info("Tracing: spans of {0} exported over OTLP as service {1}", CallClusterTracing.SourceName, serviceName);
        system.RegisterOnTermination(provider.Dispose);
    }
}
