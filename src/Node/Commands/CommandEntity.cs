using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Hosting.Metrics;

using CallCluster.Node.Persistence;

namespace CallCluster.Node.Commands;

/// <summary>One client command (entity id = cmd_id). This file holds what every command shares: start and
/// idempotency, subscribers, CommandGet/CommandSubscribe, numbering and persisting notifications, ending.
/// Each method's flow is its own state machine in <c>CommandEntity.&lt;Method&gt;.cs</c>.
/// Life: NotStarted → (the method's states) → Ended.</summary>
public sealed partial class CommandEntity : ReceivePersistentActor, IWithTimers
{
    private const string StatusRunning = "running";

    private readonly IActorRef _miPool;
    private readonly IActorRef _dialogRegion;
    private readonly CommandSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<CommandNotification> _notifications = [];
    private readonly Dictionary<string, string?> _steps = new(StringComparer.Ordinal);
    private readonly HashSet<IActorRef> _subscribers = [];
    private CommandStarted? _started;
    private int _nextSeq = 1;

    public CommandEntity(string cmdId, IActorRef miPool, IActorRef dialogRegion, CommandSettings settings)
    {
        CmdId = cmdId;
        _miPool = miPool;
        _dialogRegion = dialogRegion;
        _settings = settings;
        PersistenceId = "command-" + cmdId;

        Recover<CommandStarted>(e => _started = e);
        Recover<CommandStepRecorded>(e => _steps[e.Step] = e.Value);
        Recover<NotificationRecorded>(e => Record(e.Notification));
        Recover<RecoveryCompleted>(_ => OnRecovered());
    }

    public override string PersistenceId { get; }

    /// <summary>Never snapshotted: recovery skips the snapshot store (one query and transaction less per entity start).</summary>
    public override Recovery Recovery => EntityRecovery.NoSnapshots;

    public ITimerScheduler Timers { get; set; } = null!;

    private string CmdId { get; }

    private bool IsEnded => _notifications.Count > 0 && _notifications[^1].Kind == NotificationKind.Ended;

    private string Status => IsEnded ? _notifications[^1].Status ?? CommandNotification.StatusFailed : StatusRunning;

    public static Props Props(string cmdId, IActorRef miPool, IActorRef dialogRegion, CommandSettings settings) =>
        Akka.Actor.Props.Create(() => new CommandEntity(cmdId, miPool, dialogRegion, settings));

    private void OnRecovered()
    {
        if (_started is null)
        {
            Become(NotStarted);
        }
        else if (IsEnded)
        {
            BecomeEnded();
        }
        else
        {
            _log.Info("Command {0} ({1}) resumes after recovery", CmdId, _started.Method);
            CallClusterMetrics.CommandStarted(_started.Method);
            RunFlow(resumed: true);
        }
    }

    private void NotStarted()
    {
        Command<StartCommand>(OnFirstStart);
        Command<SubscribeCommand>(s => RejectUnknownAndStop(s.Subscriber));
        Command<GetCommand>(_ => RejectUnknownAndStop(Sender));
        Command<UnsubscribeCommand>(_ => { });
        CommandAny(m => _log.Debug("Command {0} not started: ignoring {1}", CmdId, m.GetType().Name));
    }

    private void OnFirstStart(StartCommand start)
    {
        if (!IsImplemented(start.Method))
        {
            start.Subscriber.Tell(new CommandRejected(CmdId, ErrorCodes.MethodNotFound, "Method not found",
                start.Method + " is not available on this server"));
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            return;
        }

        Persist(new CommandStarted(CmdId, start.Method, start.Params, DateTimeOffset.UtcNow), started =>
        {
            _started = started;
            CallClusterMetrics.CommandStarted(started.Method);
            AddSubscriber(start.Subscriber);
            start.Subscriber.Tell(new CommandAccepted(CmdId, Existing: false));
            RunFlow(resumed: false);
        });
    }

    private void RejectUnknownAndStop(IActorRef requester)
    {
        requester.Tell(new CommandRejected(CmdId, ErrorCodes.InvalidParams, "Invalid params", "cmd_id: no such command"));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    /// <summary>Handlers valid in every state after the start: idempotent repeats, queries, subscriptions.</summary>
    private void CommonHandlers()
    {
        Command<StartCommand>(OnRepeatedStart);
        Command<SubscribeCommand>(OnSubscribe);
        Command<UnsubscribeCommand>(u => RemoveSubscriber(u.Subscriber));
        Command<GetCommand>(_ => Sender.Tell(new CommandSnapshot(
            CmdId, _started!.Method, _started.Params, Status, _notifications.ToArray())));
        Command<Terminated>(t => _subscribers.Remove(t.ActorRef));
    }

    private void OnRepeatedStart(StartCommand start)
    {
        if (start.Method != _started!.Method || !SameParams(start.Params, _started.Params))
        {
            start.Subscriber.Tell(new CommandRejected(CmdId, ErrorCodes.InvalidParams, "Invalid params",
                "cmd_id: already used by a command with a different method or params"));
            return;
        }

        start.Subscriber.Tell(new CommandAccepted(CmdId, Existing: true));
        Replay(start.Subscriber, afterSeq: 0);
        AddSubscriber(start.Subscriber);
    }

    private void OnSubscribe(SubscribeCommand subscribe)
    {
        subscribe.Subscriber.Tell(new CommandSubscribed(CmdId, _started!.Method, Status, _nextSeq - 1));
        Replay(subscribe.Subscriber, subscribe.AfterSeq);
        AddSubscriber(subscribe.Subscriber);
    }

    private void Replay(IActorRef subscriber, int afterSeq)
    {
        foreach (var notification in _notifications)
        {
            if (notification.Seq > afterSeq)
            {
                subscriber.Tell(notification);
            }
        }
    }

    private void AddSubscriber(IActorRef subscriber)
    {
        if (!IsEnded && !subscriber.IsNobody() && _subscribers.Add(subscriber))
        {
            Context.Watch(subscriber);
        }
    }

    private void RemoveSubscriber(IActorRef subscriber)
    {
        if (_subscribers.Remove(subscriber))
        {
            Context.Unwatch(subscriber);
        }
    }

    /// <summary>Persists a notification, then sends it to every subscriber. The seq is taken now, so several
    /// emits in a row keep their order even before their journal writes complete.</summary>
    private void Emit(Func<int, CommandNotification> create, Action? afterPersisted = null)
    {
        var notification = create(_nextSeq++);
        Persist(new NotificationRecorded(notification), e =>
        {
            Record(e.Notification);
            foreach (var subscriber in _subscribers)
            {
                subscriber.Tell(e.Notification);
            }

            afterPersisted?.Invoke();
        });
    }

    private void EmitEvent(string code, string? callId = null, string? leg = null, string? destination = null,
        string? sipStatus = null) =>
        Emit(seq => CommandNotification.Event(CmdId, seq, code, callId, leg, destination, sipStatus));

    private void EndOk() => Emit(seq => CommandNotification.EndedOk(CmdId, seq), OnEnded);

    private void EndFailed(int code, string message)
    {
        _log.Info("Command {0} ({1}) failed: {2} {3}", CmdId, _started!.Method, code, message);
        Emit(seq => CommandNotification.EndedFailed(CmdId, seq, code, message), OnEnded);
    }

    private void OnEnded()
    {
        CallClusterMetrics.CommandEnded(_started!.Method, Status, DateTimeOffset.UtcNow - _started.StartedAt);
        foreach (var subscriber in _subscribers)
        {
            Context.Unwatch(subscriber);
        }

        _subscribers.Clear();
        Timers.CancelAll();
        DetachFromDialogs();
        BecomeEnded();
    }

    private void BecomeEnded()
    {
        Become(Ended);
        Context.SetReceiveTimeout(_settings.EndedLinger);
    }

    /// <summary>Ended: answers replays and queries; late events from the proxy are normal here and ignored.</summary>
    private void Ended()
    {
        CommonHandlers();
        Command<ReceiveTimeout>(_ =>
        {
            Context.SetReceiveTimeout(null);
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        CommandAny(m => _log.Debug("Command {0} ended: ignoring late {1}", CmdId, m.GetType().Name));
    }

    private void RecordStep(string step, string? value, Action then) =>
        Persist(new CommandStepRecorded(step, value), e =>
        {
            _steps[e.Step] = e.Value;
            then();
        });

    private void Record(CommandNotification notification)
    {
        _notifications.Add(notification);
        _nextSeq = Math.Max(_nextSeq, notification.Seq + 1);
    }

    private string Param(string name) => _started!.Params.TryGetValue(name, out var value) ? value : "";

    private static bool SameParams(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
