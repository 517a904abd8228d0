using Akka.Actor;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Hosting;

/// <summary>Shard region proxies for processes that do not host the entities (gateways).</summary>
public static class ShardingSetup
{
    public static int NumberOfShards(ActorSystem system) =>
        system.Settings.Config.GetInt("callcluster.sharding.number-of-shards", 100);

    public static Task<IActorRef> StartCommandProxyAsync(ActorSystem system) =>
        ClusterSharding.Get(system).StartProxyAsync(
            ShardRegions.Command, ShardRegions.CallNodeRole, new CommandMessageExtractor(NumberOfShards(system)));

    public static Task<IActorRef> StartDialogProxyAsync(ActorSystem system) =>
        ClusterSharding.Get(system).StartProxyAsync(
            ShardRegions.Dialog, ShardRegions.CallNodeRole, new DialogMessageExtractor(NumberOfShards(system)));
}
