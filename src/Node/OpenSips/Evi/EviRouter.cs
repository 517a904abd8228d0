using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Node.OpenSips;

/// <summary>Where the EVI listener's events go: this node's dialog region, until this node leaves the cluster.
/// Why not always: a region drops what it buffered for a shard between the coordinator's BeginHandOff and HandOff
/// ("Dropping buffered messages to shard during hand off to avoid re-ordering", Akka's ShardRegion), and a leaving node
/// keeps receiving events until the next node's EVI subscription is in place (make-before-break, docs/survival.md).
/// A CI rolling restart lost a CallTransferEvent that way, and its CallStart failed. So once this member is Leaving or
/// Exiting, events go to the dialog region of another Up call node, which only ever buffers a moving shard's messages
/// until its new home is known (only the region handing the shard off drops).</summary>
public sealed class EviRouter : ReceiveActor
{
    private readonly IActorRef _localRegion;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<UniqueAddress, Member> _otherCallNodes = [];
    private bool _leaving;
    private ICanTell _target;

    public EviRouter(IActorRef localRegion)
    {
        _localRegion = localRegion;
        _target = localRegion;
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members)
            {
                Track(member);
            }
        });
        Receive<ClusterEvent.IMemberEvent>(e => Track(e.Member));
        ReceiveAny(evt => _target.Tell(evt, ActorRefs.NoSender));
    }

    public static Props Props(IActorRef localRegion) => Akka.Actor.Props.Create(() => new EviRouter(localRegion));

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary>Decided on membership changes only, not per event.</summary>
    private ICanTell Target() =>
        !_leaving || _otherCallNodes.Count == 0
            ? _localRegion
            : Context.ActorSelection(new RootActorPath(Oldest().Address) / "system" / "sharding" / ShardRegions.Dialog);

    private void Track(Member member)
    {
        TrackMember(member);
        _target = Target();
    }

    private void TrackMember(Member member)
    {
        if (member.UniqueAddress.Equals(_cluster.SelfUniqueAddress))
        {
            if (!_leaving && member.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down)
            {
                _leaving = true;
                var next = _otherCallNodes.Count == 0 ? "none Up: kept local" : Oldest().Address.ToString();
                _log.Info("This node is leaving: EVI events go to another call node's dialog region ({0})", next);
            }

            return;
        }

        _otherCallNodes.Remove(member.UniqueAddress);
        if (member.Status == MemberStatus.Up && member.HasRole(ShardRegions.CallNodeRole))
        {
            _otherCallNodes[member.UniqueAddress] = member;
        }
    }

    /// <summary>The oldest other call node: it hosts the coordinators once this one has gone, so it learns new homes first.</summary>
    private Member Oldest() => _otherCallNodes.Values.Aggregate((a, b) => a.IsOlderThan(b) ? a : b);
}
