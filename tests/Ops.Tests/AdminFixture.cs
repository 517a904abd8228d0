using System.Net;
using Akka.Actor;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting.Admin;
using CallCluster.Hosting.Admin.Health;
using CallCluster.Ops.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CallCluster.Ops.Tests;

/// <summary>One cluster for the admin endpoint tests (starting one costs a few seconds on two cores). Tests must
/// not make it leave or go down: those have their own cluster (<see cref="ClusterLeaveTests"/>).</summary>
public sealed class AdminFixture : IAsyncLifetime
{
    public ActorSystem System { get; private set; } = null!;

    public AdminServer Admin { get; private set; } = null!;

    public IPEndPoint Endpoint => Admin.Endpoint;

    public IReadOnlyList<string> EntityIds { get; } = ["alpha", "bravo", "charlie", "delta"];

    /// <summary>The process's own readiness check, as a call node's connector check (healthy unless a test says).</summary>
    public SettableHealthCheck Readiness { get; } = new(HealthCheckResult.Healthy("connector ok"));

    public async Task InitializeAsync()
    {
        (System, Admin) = await TestCluster.StartAsync([new TestPalette()],
            checks => checks.AddCheck("connector", Readiness, tags: [HealthTags.Ready]));
        // As on a gateway: a proxy of CallCluster's dialog type (no region of it runs in this test cluster).
        await ClusterSharding.Get(System).StartProxyAsync(ShardRegions.Dialog, ShardRegions.CallNodeRole, new DialogMessageExtractor(100));
        var region = ClusterSharding.Get(System).ShardRegion(TestCluster.EntityType);
        foreach (var id in EntityIds)
        {
            Assert.Equal(id, await region.Ask<string>(new Ping(id), TimeSpan.FromSeconds(10)));
        }
    }

    public async Task DisposeAsync()
    {
        await Admin.DisposeAsync();
        await System.Terminate();
    }
}
