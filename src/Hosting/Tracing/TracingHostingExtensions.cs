using Akka.Hosting;
using CallCluster.Hosting.Composition;

namespace CallCluster.Hosting.Tracing;

/// <summary>The tracing feature of a process's composition (docs/tracing.md).</summary>
public static class TracingHostingExtensions
{
    /// <summary>OTLP traces when configured, under <paramref name="serviceName"/>; nothing (and no listener) otherwise.
    /// First in a process's chain, so the provider listens before the process takes any command.</summary>
    public static AkkaConfigurationBuilder WithTracing(this AkkaConfigurationBuilder akka, string serviceName) =>
        akka.AddStartupStep((system, _) =>
        {
            TracingSetup.Attach(system, serviceName);
            return Task.CompletedTask;
        });
}
