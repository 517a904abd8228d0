using CallCluster.Hosting.Admin.Health;
using Microsoft.Extensions.DependencyInjection;

namespace CallCluster.Node.Admin;

public static class ConnectorHealthCheckExtensions
{
    /// <summary>Adds <see cref="ConnectorHealthCheck"/> to the admin endpoint's <c>/healthz/ready</c>.</summary>
    public static IHealthChecksBuilder AddConnectorCheck(this IHealthChecksBuilder checks, ConnectorHealth.HealthState state) =>
        checks.AddTypeActivatedCheck<ConnectorHealthCheck>(ConnectorHealthCheck.Name, failureStatus: null, tags: [HealthTags.Ready], state);
}
