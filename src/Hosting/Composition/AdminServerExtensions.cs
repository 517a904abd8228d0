using Akka.Hosting;
using CallCluster.Hosting.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace CallCluster.Hosting.Composition;

/// <summary>The admin endpoint (callctl, /healthz, /metrics) as a feature of the host.</summary>
public static class AdminServerExtensions
{
    /// <param name="palettes">The process's own palettes, asked for when the endpoint starts (after the features that
    /// provide them).</param>
    /// <param name="healthChecks">The process's own checks for /healthz/ready and /healthz/live (tagged with
    /// <see cref="Admin.Health.HealthTags"/>), added when the endpoint starts; null: ready once this member is Up.</param>
    public static AkkaConfigurationBuilder WithAdminServer(this AkkaConfigurationBuilder akka,
        Func<IActorRegistry, IReadOnlyList<IAdminPalette>>? palettes = null, Action<IHealthChecksBuilder>? healthChecks = null) =>
        akka.AddStartupStep((system, registry) =>
            AdminServer.StartAsync(system, AdminSettings.FromConfig(system.Settings.Config), palettes?.Invoke(registry), healthChecks));
}
