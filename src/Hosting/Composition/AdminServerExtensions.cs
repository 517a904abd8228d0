using Akka.Hosting;
using CallCluster.Hosting.Admin;

namespace CallCluster.Hosting.Composition;

/// <summary>The admin endpoint (callctl, /healthz, /metrics) as a feature of the host.</summary>
public static class AdminServerExtensions
{
    /// <param name="palettes">The process's own palettes, asked for when the endpoint starts (after the features that
    /// provide them).</param>
    /// <param name="readiness">What /readyz reports; null: ready once started.</param>
    public static AkkaConfigurationBuilder WithAdminServer(this AkkaConfigurationBuilder akka,
        Func<IActorRegistry, IReadOnlyList<IAdminPalette>>? palettes = null, Func<HealthReport>? readiness = null) =>
        akka.AddStartupStep((system, registry) =>
            AdminServer.StartAsync(system, AdminSettings.FromConfig(system.Settings.Config), palettes?.Invoke(registry), readiness));
}
