using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Sharding;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Rest;

/// <summary>GET /v1/cluster: the membership as this gateway's member sees it, and where the command and dialog shards
/// are, read the way the admin palettes read them (<c>callctl cluster show</c>, <c>callctl sharding cluster-stats</c>)
/// but without the admin port, so the web console and API clients with <c>calls:read</c> can see them. Read-only.</summary>
public sealed class ClusterStatusQuery(ActorSystem system, TimeSpan askTimeout)
{
    /// <summary>The shard types a console shows, in this order.</summary>
    private static readonly string[] ShardTypes = [ShardRegions.Command, ShardRegions.Dialog];

    public async Task<Outcome<ClusterResource>> GetAsync(CancellationToken ct)
    {
        // A gateway on a plain ActorSystem (a unit test) is no cluster member: there is nothing to report.
        if (system is not ExtendedActorSystem { Provider: ClusterActorRefProvider })
        {
            return RpcError.Server("this gateway is not a cluster member");
        }

        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var members = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new ClusterMemberResource(
                m.Address.ToString(),
                m.Status.ToString(),
                [.. m.Roles.Order(StringComparer.Ordinal)],
                !state.Unreachable.Contains(m),
                m.AppVersion.ToString(),
                m.Address.Equals(cluster.SelfAddress)))
            .ToList();
        // The types are asked together: each waits up to the ask timeout for the slowest region.
        var shards = await Task.WhenAll(ShardTypes.Select(type => ShardsOfAsync(type, ct))).ConfigureAwait(false);
        return new ClusterResource(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members, shards);
    }

    private async Task<ShardTypeResource> ShardsOfAsync(string type, CancellationToken ct)
    {
        IActorRef region;
        try
        {
            region = ClusterSharding.Get(system).ShardRegion(type); // the region, or the proxy a gateway-only process runs
        }
        catch (ArgumentException)
        {
            return new ShardTypeResource(type, [], $"no shard region or proxy of type {type} in this process");
        }

        try
        {
            // GetClusterShardingStats takes its own timeout for the regions' answers; the Ask allows it that much again.
            var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(askTimeout), askTimeout + askTimeout, ct)
                .ConfigureAwait(false);
            var regions = stats.Regions
                .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
                .Select(r => new ShardRegionResource(r.Key.ToString(), r.Value.Stats.Count, r.Value.Stats.Values.Sum(),
                    r.Value.Failed.Count))
                .ToList();
            return new ShardTypeResource(type, regions, null);
        }
        catch (AskTimeoutException)
        {
            return new ShardTypeResource(type, [], "the shard regions did not answer in time");
        }
    }
}
