using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CallCluster.Node.Admin;

/// <summary>Readiness of a call node: the OpenSIPS connector's EVI subscription is in place, as
/// <see cref="ConnectorHealth"/> last saw it (the probe reads that report, it does not ask OpenSIPS itself).</summary>
public sealed class ConnectorHealthCheck(ConnectorHealth.HealthState state) : IHealthCheck
{
    public const string Name = "opensips-connector";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var report = state.Current;
        return Task.FromResult(report.Healthy
            ? HealthCheckResult.Healthy(report.Description)
            : HealthCheckResult.Unhealthy(report.Description));
    }
}
