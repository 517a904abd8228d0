using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CallCluster.Contracts.Sharding;
using CallCluster.Node.Sharding;

namespace CallCluster.Node.OpenSips;

/// <summary>Where the EVI listener's events go: this node's dialog region, until this node starts to leave the cluster.
/// Why not always: a region drops what it buffered for a shard between the coordinator's BeginHandOff and HandOff
/// ("Dropping buffered messages to shard during hand off to avoid re-ordering", Akka's ShardRegion), and a leaving node
/// keeps receiving events until the next node's EVI subscription is in place (make-before-break, docs/survival.md).
/// A CI rolling restart lost a CallTransferEvent that way, and its CallStart failed. So once this node's coordinated
/// shutdown has begun (before its regions hand their shards off) or its member is no longer Up, events go to the dialog
/// region of the oldest other Up call node, which only ever buffers a moving shard's messages until its new home is
/// known. What a region still drops is sent again by <see cref="HandOffRedelivery"/>.</summary>
public sealed class EviRouter : ReceiveActor
{
    private readonly IActorRef _localRegion;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private OtherCallNodes _others;
    private bool _leaving;
    private ICanTell _target;

    public EviRouter(IActorRef localRegion)
    {
        _localRegion = localRegion;
        _target = localRegion;
        _others = OtherCallNodes.Of(_cluster.SelfUniqueAddress);
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members)
            {
                Track(member);
            }
        });
        Receive<ClusterEvent.IMemberEvent>(e => Track(e.Member));
        Receive<Leave>(_ =>
        {
            StartLeaving("its coordinated shutdown began");
            Sender.Tell(Akka.Done.Instance);
        });
        ReceiveAny(evt => _target.Tell(evt, ActorRefs.NoSender));
    }

    public static Props Props(IActorRef localRegion) => Akka.Actor.Props.Create(() => new EviRouter(localRegion));

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        // Sharding hands this node's shards off in phase cluster-sharding-shutdown-region, before the member is even
        // Leaving: switch before that.
        var self = Self;
        CoordinatedShutdown.Get(Context.System).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "evi-router-leave",
            () => self.Ask<Akka.Done>(Leave.Instance, TimeSpan.FromSeconds(3)));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void Track(Member member)
    {
        _others = _others.With(member);
        if (member.UniqueAddress.Equals(_cluster.SelfUniqueAddress) && member.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down)
        {
            StartLeaving("its member is " + member.Status);
        }

        // Decided on membership changes only, not per event.
        _target = Target();
    }

    private void StartLeaving(string why)
    {
        if (!_leaving)
        {
            _leaving = true;
            // Member events can lag behind a node that leaves just after it joined: take the cluster's current state.
            _others = _others.WithAll(_cluster.State.Members);
            _target = Target();
            _log.Info("This node is leaving ({0}): EVI events go to another call node's dialog region ({1})", why,
                _others.Oldest?.Address.ToString() ?? "none Up: kept local");
        }
    }

    private ICanTell Target() =>
        _leaving && _others.RegionOnOldest(ShardRegions.Dialog) is { } remote ? Context.ActorSelection(remote) : _localRegion;

    /// <summary>This node's coordinated shutdown has begun.</summary>
    private sealed class Leave
    {
        public static readonly Leave Instance = new();
    }
}
