using Akka.Actor;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CallCluster.Hosting.Admin.Health;

/// <summary>Liveness: the ActorSystem has not terminated. Once it has, nothing in the process works any more and a
/// restart is the only way back.</summary>
public sealed class ActorSystemRunningCheck(ActorSystem system) : IHealthCheck
{
    public const string Name = "actor-system";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(system.WhenTerminated.IsCompleted
            ? HealthCheckResult.Unhealthy($"actor system {system.Name} has terminated")
            : HealthCheckResult.Healthy($"actor system {system.Name} is running"));
}
