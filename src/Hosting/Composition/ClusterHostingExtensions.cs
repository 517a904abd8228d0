using Akka.Hosting;

namespace CallCluster.Hosting.Composition;

/// <summary>Cluster membership and shard proxies: the features every process needs before its own.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>Joins the cluster (seeds, itself, or Kubernetes bootstrap: <see cref="ClusterBootstrap.JoinAsync"/>) and
    /// waits until this member is Up, so that the features after it start in a cluster.</summary>
    public static AkkaConfigurationBuilder WithClusterJoin(this AkkaConfigurationBuilder akka) =>
        akka.AddStartupStep((system, _) => ClusterBootstrap.JoinAsync(system, TimeSpan.FromSeconds(60)));

    /// <summary>Proxies to the call nodes' command and dialog regions, for a process that hosts no entities.</summary>
    public static AkkaConfigurationBuilder WithShardProxies(this AkkaConfigurationBuilder akka) =>
        akka.AddStartupStep(async (system, registry) =>
        {
            registry.Register<ActorKeys.CommandRegion>(await ShardingSetup.StartCommandProxyAsync(system).ConfigureAwait(false));
            registry.Register<ActorKeys.DialogRegion>(await ShardingSetup.StartDialogProxyAsync(system).ConfigureAwait(false));
        });
}
