using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace CallCluster.Hosting.Metrics;

/// <summary>Feeds the cluster gauges of <see cref="CallClusterMetrics"/>: members by status on every membership
/// event, shards and entities per region type on a timer (GetShardRegionState of each local region).</summary>
internal sealed class ClusterMetricsCollector : ReceiveActor, IWithTimers
{
    private sealed class Refresh
    {
        public static readonly Refresh Instance = new();
    }

    private sealed record RegionState(string Type, int Shards, int Entities);

    private readonly TimeSpan _refresh;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ClusterMetricsCollector(TimeSpan refresh)
    {
        _refresh = refresh;
        Receive<ClusterEvent.IClusterDomainEvent>(_ => CallClusterMetrics.UpdateMembers(_cluster.State, _cluster.SelfMember));
        Receive<ClusterEvent.CurrentClusterState>(_ => CallClusterMetrics.UpdateMembers(_cluster.State, _cluster.SelfMember));
        Receive<Refresh>(_ =>
        {
            // Also on the timer: gauges are process-wide, so they are re-asserted from this node's current view.
            CallClusterMetrics.UpdateMembers(_cluster.State, _cluster.SelfMember);
            RefreshRegions();
        });
        Receive<RegionState>(s =>
        {
            CallClusterMetrics.Shards.WithLabels(s.Type).Set(s.Shards);
            CallClusterMetrics.Entities.WithLabels(s.Type).Set(s.Entities);
        });
        Receive<Status.Failure>(f => _log.Debug("Shard region state not refreshed: {0}", f.Cause.Message));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
        Timers.StartPeriodicTimer("refresh", Refresh.Instance, TimeSpan.FromSeconds(1), _refresh);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void RefreshRegions()
    {
        var sharding = ClusterSharding.Get(Context.System);
        foreach (var type in sharding.ShardTypeNames)
        {
            sharding.ShardRegion(type)
                .Ask<CurrentShardRegionState>(GetShardRegionState.Instance, _refresh)
                .PipeTo(Self,
                    success: s => new RegionState(type, s.Shards.Count, s.Shards.Sum(x => x.EntityIds.Count)),
                    failure: e => new Status.Failure(e));
        }
    }
}
