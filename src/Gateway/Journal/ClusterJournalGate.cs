using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting.Metrics;

namespace CallCluster.Gateway.Journal;

/// <summary>In front of the command region proxy of a gateway-only process (the counterpart of the call node's own
/// JournalGate): while every call node that is Up reports its journal down (the call nodes' JournalHealthPublisher
/// writes <see cref="HealthKey"/>; they share one database), a new command is answered -32003 at once instead of waiting for the ask timeout. With any
/// call node reporting an answering journal, or no report at all, everything is forwarded: the gate only ever turns a
/// certain wait into an immediate answer.</summary>
public sealed class ClusterJournalGate : ReceiveActor
{
    /// <summary>Call node address → empty while its journal answers, the last error while it is down.</summary>
    public static readonly LWWDictionaryKey<string, string> HealthKey = new("callcluster-journal-health");

    private readonly IActorRef _region;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<Address> _upCallNodes = [];
    private IReadOnlyDictionary<string, string> _reports = new Dictionary<string, string>();
    private string? _downReason; // null = forward

    public ClusterJournalGate(IActorRef region)
    {
        _region = region;
        Receive<Changed>(changed => changed.Key.Equals(HealthKey), changed =>
        {
            _reports = changed.Get(HealthKey).Entries;
            Reconsider();
        });
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            _upCallNodes.Clear();
            _upCallNodes.UnionWith(state.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole(ShardRegions.CallNodeRole))
                .Select(m => m.Address));
            Reconsider();
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (up.Member.HasRole(ShardRegions.CallNodeRole))
            {
                _upCallNodes.Add(up.Member.Address);
                Reconsider();
            }
        });
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            _upCallNodes.Remove(removed.Member.Address);
            Reconsider();
        });
        Receive<StartCommand>(_ => _downReason is not null, start =>
        {
            FaultMetrics.JournalFailed("command", "refused");
            start.Subscriber.Tell(new CommandRejected(start.CmdId, ErrorCodes.ProxyUnavailable, "Service unavailable",
                "the command journal of the call nodes is unavailable (" + _downReason + "); the command was not stored or started, retry later"));
        });
        ReceiveAny(m => _region.Forward(m));
    }

    public static Props Props(IActorRef region) => Akka.Actor.Props.Create(() => new ClusterJournalGate(region));

    /// <summary>The reason to refuse, or null to forward: every Up call node has reported, and every report is down.</summary>
    public static string? DownReason(IReadOnlyCollection<Address> upCallNodes, IReadOnlyDictionary<string, string> reports)
    {
        if (upCallNodes.Count == 0)
        {
            return null;
        }

        string? reason = null;
        foreach (var node in upCallNodes)
        {
            if (!reports.TryGetValue(node.ToString(), out var report) || report.Length == 0)
            {
                return null;
            }

            reason ??= report;
        }

        return reason;
    }

    protected override void PreStart()
    {
        DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(HealthKey, Self));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Reconsider()
    {
        var reason = DownReason(_upCallNodes, _reports);
        if ((reason is null) != (_downReason is null))
        {
            if (reason is null)
            {
                _log.Info("The call nodes' journal answers again: new commands are forwarded");
            }
            else
            {
                _log.Warning("Every call node reports its journal down ({0}): new commands are refused -32003 until one answers", reason);
            }
        }

        _downReason = reason;
    }
}
