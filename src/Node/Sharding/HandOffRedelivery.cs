using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CallCluster.Contracts;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting.Metrics;

namespace CallCluster.Node.Sharding;

/// <summary>Sends again the command and dialog messages that Akka's ShardRegion drops at a shard hand-off.
///
/// Why: between the coordinator's BeginHandOff and HandOff, the region that hosts a moving shard buffers what arrives
/// for it, then drops that buffer so that messages forwarded from other regions cannot overtake each other ("Dropping
/// [N] buffered messages to shard [S] during hand off to avoid re-ordering"; each goes to dead letters as a
/// <see cref="Dropped"/>). A rolling restart under load lost an E_CALL_TRANSFER start that way, and its CallStart failed.
/// Order is not what these messages need: OpenSIPS itself raises dialog events out of order and twice (from different
/// workers), dialogs and commands already take them so (DialogState.HasSeen, the flows' own checks), and the commands'
/// requests are matched by cmd_id. Losing one is what hurts.
///
/// Where to: this node's own region while it stays (it no longer knows the shard's home, so it asks the coordinator,
/// which answers once the hand-off is done); once this node's coordinated shutdown has begun or its member is Leaving or later, the region of the oldest
/// other Up call node, because this node's regions stop before such an answer may come. The original sender goes
/// with it, so replies still reach whoever asked.</summary>
public sealed class HandOffRedelivery : ReceiveActor, IWithTimers
{
    /// <summary>The reason Akka's ShardRegion gives <see cref="Dropped"/> at HandOff (MessageBufferMap.Drop); other
    /// drops (a full buffer: back-pressure) are left alone.</summary>
    public const string HandOffDropReason = "Avoiding reordering of buffered messages at shard handoff";

    private readonly IActorRef _commandRegion;
    private readonly IActorRef _dialogRegion;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly CoordinatedShutdown _shutdown = CoordinatedShutdown.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private OtherCallNodes _others;
    /// <summary>This member's status as last heard; a node counts as staying until it is Leaving or later.</summary>
    private MemberStatus _selfStatus = MemberStatus.Joining;
    /// <summary>Messages sent again since the last log line, by region and destination: a node leaving with thousands
    /// of idle dialogs can see thousands of drops in a second, so they are logged as one INFO line a second.</summary>
    private Dictionary<string, int> _sinceLastLog = [];

    public ITimerScheduler Timers { get; set; } = null!;

    public HandOffRedelivery(IActorRef commandRegion, IActorRef dialogRegion)
    {
        _commandRegion = commandRegion;
        _dialogRegion = dialogRegion;
        _others = OtherCallNodes.Of(_cluster.SelfUniqueAddress);
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members)
            {
                Track(member);
            }
        });
        Receive<ClusterEvent.IMemberEvent>(e => Track(e.Member));
        // Akka publishes a Dropped wrapped in a DeadLetter; taken bare too, should a later version publish it so.
        Receive<DeadLetter>(d =>
        {
            if (d.Message is Dropped dropped)
            {
                Redeliver(dropped);
            }
        });
        Receive<Dropped>(Redeliver);
        Receive<AllDeadLetters>(_ => { });
        Receive<LogTick>(_ => LogSummary());
    }

    public static Props Props(IActorRef commandRegion, IActorRef dialogRegion) =>
        Akka.Actor.Props.Create(() => new HandOffRedelivery(commandRegion, dialogRegion));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
    }

    private void Track(Member member)
    {
        if (member.UniqueAddress.Equals(_cluster.SelfUniqueAddress))
        {
            _selfStatus = member.Status;
        }

        _others = _others.With(member);
    }

    private void Redeliver(Dropped dropped)
    {
        if (dropped.Reason != HandOffDropReason)
        {
            return;
        }

        (string RegionName, IActorRef LocalRegion, string Entity)? route = dropped.Message switch
        {
            ICommandMessage command => (ShardRegions.Command, _commandRegion, command.CmdId),
            IDialogMessage dialog => (ShardRegions.Dialog, _dialogRegion, dialog.CallId),
            _ => null,
        };
        if (route is not var (regionName, localRegion, entity))
        {
            return;
        }

        var sender = dropped.Sender ?? ActorRefs.NoSender;
        var staying = _shutdown.ShutdownReason is null
                      && _selfStatus is not (MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down or MemberStatus.Removed);
        if (staying)
        {
            localRegion.Tell(dropped.Message, sender);
            Redelivered(regionName, "local", dropped.Message, entity, "this node's region");
            return;
        }

        if (_others.Oldest is null)
        {
            // Member events can lag behind a node that leaves just after it joined: ask the cluster's current state.
            _others = _others.WithAll(_cluster.State.Members);
        }

        if (_others.RegionOnOldest(regionName) is { } remote)
        {
            Context.ActorSelection(remote).Tell(dropped.Message, sender);
            Redelivered(regionName, "remote", dropped.Message, entity, remote.ToString());
        }
        else
        {
            FaultMetrics.HandOffRedelivered(regionName, "lost");
            _log.Warning("A {0} for {1} {2} was dropped at a shard hand-off while this node leaves, and no other call node is Up " +
                         "to take it: lost", dropped.Message.GetType().Name, regionName, entity);
        }
    }

    private void Redelivered(string regionName, string where, object message, string entity, string target)
    {
        FaultMetrics.HandOffRedelivered(regionName, where);
        _log.Debug("Sent again a {0} for {1} {2} that sharding dropped at a shard hand-off, to {3}",
            message.GetType().Name, regionName, entity, target);
        var key = regionName + " to " + target;
        _sinceLastLog[key] = _sinceLastLog.GetValueOrDefault(key) + 1;
        if (!Timers.IsTimerActive(LogTick.Instance))
        {
            Timers.StartSingleTimer(LogTick.Instance, LogTick.Instance, TimeSpan.FromSeconds(1));
        }
    }

    private void LogSummary()
    {
        foreach (var (key, count) in _sinceLastLog)
        {
            _log.Info("Sent again {0} message(s) that sharding dropped at a shard hand-off: {1}", count, key);
        }

        _sinceLastLog = [];
    }

    protected override void PostStop()
    {
        LogSummary();
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }

    private sealed class LogTick
    {
        public static readonly LogTick Instance = new();
    }
}
