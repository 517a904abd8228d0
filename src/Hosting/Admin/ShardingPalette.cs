using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Hosting.Admin;

/// <summary>The built-in <c>sharding</c> palette: the shard regions (and proxies) started in this process, their
/// shards and entities here and across the cluster, and where an entity id lives (computed with the same
/// hash extractor and <c>callcluster.sharding.number-of-shards</c> as the regions).</summary>
public sealed class ShardingPalette(ActorSystem system, TimeSpan askTimeout) : IAdminPalette
{
    public static readonly IReadOnlyList<string> RegionColumns = ["type", "kind", "shards", "entities"];
    public static readonly IReadOnlyList<string> RegionStatsColumns = ["shard", "entities"];
    public static readonly IReadOnlyList<string> ClusterStatsColumns = ["address", "shards", "entities"];
    public static readonly IReadOnlyList<string> LocateColumns = ["type", "entity", "shard", "address"];

    public string Name => "sharding";

    public string Description => "shard regions: regions, region-stats, cluster-stats, locate";

    public IReadOnlyList<AdminVerb> Verbs { get; } =
    [
        new("regions", "", "the shard regions and proxies in this process: type | region/proxy | shards | entities (here)"),
        new("region-stats", "<type>", "shards of this process's region: shard | entities", 1, 1),
        new("cluster-stats", "<type>", "every region of the type in the cluster: address | shards | entities", 1, 1),
        new("locate", "<type> <id>", "the shard of an entity id and the member hosting it", 2, 2),
    ];

    public async Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct)
    {
        switch (command.Verb)
        {
            case "regions":
                return await RegionsAsync(ct).ConfigureAwait(false);
            case "region-stats":
            {
                if (!TryRegion(command.Args[0], out var region, out var error))
                {
                    return AdminResult.Failed(error);
                }

                var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, askTimeout, ct).ConfigureAwait(false);
                var rows = stats.Stats.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => (IReadOnlyList<string>)[kv.Key, Num(kv.Value)]).ToList();
                return AdminResult.Ok(RegionStatsColumns, rows, FailedShards(stats.Failed));
            }
            case "cluster-stats":
            {
                if (!TryRegion(command.Args[0], out var region, out var error))
                {
                    return AdminResult.Failed(error);
                }

                var stats = await ClusterStatsAsync(region, ct).ConfigureAwait(false);
                var rows = stats.Regions.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal)
                    .Select(kv => (IReadOnlyList<string>)[kv.Key.ToString(), Num(kv.Value.Stats.Count), Num(kv.Value.Stats.Values.Sum())])
                    .ToList();
                return AdminResult.Ok(ClusterStatsColumns, rows,
                    FailedShards(stats.Regions.Values.SelectMany(r => r.Failed).ToHashSet()));
            }
            case "locate":
            {
                var (type, id) = (command.Args[0], command.Args[1]);
                if (!TryRegion(type, out var region, out var error))
                {
                    return AdminResult.Failed(error);
                }

                var shard = ShardIdOf(id, ShardingSetup.NumberOfShards(system));
                var stats = await ClusterStatsAsync(region, ct).ConfigureAwait(false);
                var owner = stats.Regions.FirstOrDefault(kv => kv.Value.Stats.ContainsKey(shard)).Key;
                return AdminResult.Ok(LocateColumns, [[type, id, shard, owner?.ToString() ?? "unallocated"]]);
            }
            default:
                return AdminResult.Usage($"unknown verb sharding {command.Verb}");
        }
    }

    /// <summary>The shard an entity id belongs to, as every <see cref="HashCodeMessageExtractor"/> (the command and
    /// dialog extractors) computes it.</summary>
    public static string ShardIdOf(string entityId, int numberOfShards)
    {
        IMessageExtractor extractor = HashCodeMessageExtractor.Create(numberOfShards, m => m as string ?? "", m => m);
        return extractor.ShardId(entityId, null);
    }

    private async Task<AdminResult> RegionsAsync(CancellationToken ct)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (type, region, kind) in LocalRegions())
        {
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, askTimeout, ct).ConfigureAwait(false);
            rows.Add([type, kind, Num(state.Shards.Count), Num(state.Shards.Sum(s => s.EntityIds.Count))]);
        }

        return AdminResult.Ok(RegionColumns, rows);
    }

    /// <summary>The regions started here, and the proxies of CallCluster's own types (Akka lists only regions).</summary>
    private IEnumerable<(string Type, IActorRef Region, string Kind)> LocalRegions()
    {
        var sharding = ClusterSharding.Get(system);
        var regions = sharding.ShardTypeNames;
        foreach (var type in regions.Union([ShardRegions.Command, ShardRegions.Dialog]).Order(StringComparer.Ordinal))
        {
            if (regions.Contains(type))
            {
                yield return (type, sharding.ShardRegion(type), "region");
            }
            else if (TryProxy(type) is { } proxy)
            {
                yield return (type, proxy, "proxy");
            }
        }
    }

    private IActorRef? TryProxy(string type)
    {
        try
        {
            return ClusterSharding.Get(system).ShardRegion(type); // falls back to the proxies
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private Task<ClusterShardingStats> ClusterStatsAsync(IActorRef region, CancellationToken ct) =>
        region.Ask<ClusterShardingStats>(new GetClusterShardingStats(askTimeout), askTimeout + askTimeout, ct);

    private bool TryRegion(string type, out IActorRef region, out string error)
    {
        error = "";
        region = TryProxy(type) ?? ActorRefs.Nobody;
        if (region.IsNobody())
        {
            error = $"no shard region or proxy of type '{type}' in this process (known: {string.Join(", ", LocalRegions().Select(r => r.Type))})";
            return false;
        }

        return true;
    }

    private static string? FailedShards(IReadOnlySet<string> failed) =>
        failed.Count == 0 ? null : $"shards that did not answer: {string.Join(",", failed.Order(StringComparer.Ordinal))}";

    private static string? FailedShards(IEnumerable<string> failed) => FailedShards(failed.ToHashSet());

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}
