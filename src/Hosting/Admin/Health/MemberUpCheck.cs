using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CallCluster.Hosting.Admin.Health;

/// <summary>Readiness: this process is an Up member of the cluster. Before (Joining) it cannot reach shards or
/// singletons; after (Leaving, Exiting) it is handing them over.</summary>
public sealed class MemberUpCheck(ActorSystem system) : IHealthCheck
{
    public const string Name = "cluster-member";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var self = Cluster.Get(system).SelfMember;
        return Task.FromResult(self.Status == MemberStatus.Up
            ? HealthCheckResult.Healthy($"member {self.Address} is Up")
            : HealthCheckResult.Unhealthy($"member {self.Address} is {self.Status}, not Up"));
    }
}
