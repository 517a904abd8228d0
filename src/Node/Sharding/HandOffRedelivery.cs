using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CallCluster.Contracts;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting.Metrics;

namespace CallCluster.Node.Sharding;

/// <summary>Sends again the command and dialog messages that Akka sharding loses while a shard moves.
///
/// Why: between the coordinator's BeginHandOff and HandOff, the region that hosts a moving shard buffers what arrives
/// for it, then drops that buffer so that messages forwarded from other regions cannot overtake each other ("Dropping
/// [N] buffered messages to shard [S] during hand off to avoid re-ordering"; each goes to dead letters as a
/// <see cref="Dropped"/>). Then the shard stops its entities: what is still in an entity's mailbox when it stops goes
/// to dead letters, and what reaches the shard itself while it hands off is unhandled. A rolling restart under load
/// lost E_CALL_TRANSFER starts these ways, and their CallStarts failed. Order is not what these messages need: OpenSIPS
/// itself raises dialog events out of order and twice (from different workers), dialogs and commands already take them
/// so (DialogState.HasSeen, the flows' own checks), and the commands' requests are matched by cmd_id. Losing one is
/// what hurts.
///
/// What: command and dialog messages (by type) that were dropped at a hand-off, sent to an entity that had stopped,
/// or left unhandled by a shard. Not: other drops (a full buffer is back-pressure), nor what an entity itself left
/// unhandled (it would refuse it again). An equal message is sent again at most <see cref="MaxSends"/> times in
/// <see cref="SendWindow"/>, so nothing can circle.
///
/// Where to: this node's own region while it stays (it asks the coordinator for a moved shard's home and delivers once
/// the hand-off is done); once this node's coordinated shutdown has begun or its member is Leaving or later, the
/// region of the oldest other Up call node, because this node's regions stop before such an answer may come. The
/// original sender goes with it, so replies still reach whoever asked.</summary>
public sealed class HandOffRedelivery : ReceiveActor, IWithTimers
{
    /// <summary>The reason Akka's ShardRegion gives <see cref="Dropped"/> at HandOff (MessageBufferMap.Drop).</summary>
    public const string HandOffDropReason = "Avoiding reordering of buffered messages at shard handoff";

    public const int MaxSends = 3;
    public static readonly TimeSpan SendWindow = TimeSpan.FromSeconds(30);
    private const int MaxRemembered = 10_000;

    private readonly IActorRef _commandRegion;
    private readonly IActorRef _dialogRegion;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly CoordinatedShutdown _shutdown = CoordinatedShutdown.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private OtherCallNodes _others;
    /// <summary>This member's status as last heard; a node counts as staying until it is Leaving or later.</summary>
    private MemberStatus _selfStatus = MemberStatus.Joining;
    /// <summary>Messages sent again since the last log line, by how they were lost and where they went: a node leaving
    /// with thousands of idle dialogs can see thousands in a second, so they are logged as one INFO line a second.</summary>
    private Dictionary<string, int> _sinceLastLog = [];
    /// <summary>How often each message was sent again, and since when (records compare by value).</summary>
    private Dictionary<object, (int Count, DateTime Since)> _sent = [];

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
                OnDropped(dropped);
            }
            else if (IsEntity(d.Recipient))
            {
                Redeliver(d.Message, d.Sender, "sent to an entity that had stopped");
            }
        });
        Receive<Dropped>(OnDropped);
        Receive<UnhandledMessage>(u =>
        {
            if (IsShard(u.Recipient))
            {
                Redeliver(u.Message, u.Sender, "refused by a shard handing off");
            }
        });
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

    protected override void PostStop()
    {
        LogSummary();
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }

    /// <summary>/system/sharding/REGION/SHARD/ENTITY of this node's command or dialog region, or the command inside
    /// its entity (/system/sharding/command/SHARD/CMDID/command: CommandEntityShell).</summary>
    private static bool IsEntity(IActorRef? recipient) => ShardingDepth(recipient) is 5 or 6;

    /// <summary>/system/sharding/REGION/SHARD of this node's command or dialog region.</summary>
    private static bool IsShard(IActorRef? recipient) => ShardingDepth(recipient) == 4;

    private static int ShardingDepth(IActorRef? recipient)
    {
        if (recipient is null || recipient.IsNobody())
        {
            return 0;
        }

        var elements = recipient.Path.Elements;
        return elements.Count >= 3 && elements[0] == "system" && elements[1] == "sharding"
               && elements[2] is ShardRegions.Command or ShardRegions.Dialog
            ? elements.Count
            : 0;
    }

    private void Track(Member member)
    {
        if (member.UniqueAddress.Equals(_cluster.SelfUniqueAddress))
        {
            _selfStatus = member.Status;
        }

        _others = _others.With(member);
    }

    private void OnDropped(Dropped dropped)
    {
        if (dropped.Reason == HandOffDropReason)
        {
            Redeliver(dropped.Message, dropped.Sender, "dropped at a shard hand-off");
        }
    }

    private void Redeliver(object message, IActorRef? originalSender, string how)
    {
        (string RegionName, IActorRef LocalRegion)? route = message switch
        {
            ICommandMessage => (ShardRegions.Command, _commandRegion),
            IDialogMessage => (ShardRegions.Dialog, _dialogRegion),
            _ => null,
        };
        if (route is not var (regionName, localRegion) || !MaySendAgain(message))
        {
            return;
        }

        // A start sent again may find an incarnation that took another copy of it meanwhile (the gateway resends):
        // only the gateway's first send may claim its cmd_id is new (StartCommand.FreshCmdId).
        if (message is StartCommand { FreshCmdId: true } fresh)
        {
            message = fresh with { FreshCmdId = false };
        }

        var sender = originalSender ?? ActorRefs.NoSender;
        var staying = _shutdown.ShutdownReason is null
                      && _selfStatus is not (MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down or MemberStatus.Removed);
        if (staying)
        {
            localRegion.Tell(message, sender);
            Redelivered(regionName, "local", message, how, "this node's region");
            return;
        }

        if (_others.Oldest is null)
        {
            // Member events can lag behind a node that leaves just after it joined: ask the cluster's current state.
            _others = _others.WithAll(_cluster.State.Members);
        }

        if (_others.RegionOnOldest(regionName) is { } remote)
        {
            Context.ActorSelection(remote).Tell(message, sender);
            Redelivered(regionName, "remote", message, how, remote.ToString());
        }
        else
        {
            Redelivered(regionName, "lost", message, how, "nowhere: no other call node is Up, lost");
        }
    }

    private bool MaySendAgain(object message)
    {
        var now = DateTime.UtcNow;
        if (_sent.Count >= MaxRemembered)
        {
            // When a burst keeps it more than half full within the window, it is emptied, so the burst costs one scan
            // per 5,000 messages instead of one per message. The guard then forgets its counts, which at worst lets a
            // circling message go round up to MaxSends more times.
            _sent = _sent.Where(e => now - e.Value.Since < SendWindow).ToDictionary(e => e.Key, e => e.Value);
            if (_sent.Count >= MaxRemembered / 2)
            {
                _sent = [];
            }
        }

        var (count, since) = _sent.TryGetValue(message, out var seen) && now - seen.Since < SendWindow ? seen : (0, now);
        if (count >= MaxSends)
        {
            return false;
        }

        _sent[message] = (count + 1, since);
        return true;
    }

    private void Redelivered(string regionName, string to, object message, string how, string target)
    {
        FaultMetrics.HandOffRedelivered(regionName, to);
        _log.Debug("Sent again a {0} for {1} ({2}), to {3}", message.GetType().Name, regionName, how, target);
        var key = $"{regionName}, {how}, to {target}";
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
            _log.Info("Sent again {0} message(s) that sharding lost while a shard moved: {1}", count, key);
        }

        _sinceLastLog = [];
    }

    private sealed class LogTick
    {
        public static readonly LogTick Instance = new();
    }
}
