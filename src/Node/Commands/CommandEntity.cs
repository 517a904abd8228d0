using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Hosting.Metrics;
using CallCluster.Node.OpenSips;

using CallCluster.Node.Persistence;

namespace CallCluster.Node.Commands;

/// <summary>One client command (entity id = cmd_id). This file holds what every command shares: start and
/// idempotency, subscribers, CommandGet/CommandSubscribe, numbering and persisting notifications, ending.
/// Each method's flow is its own state machine in <c>CommandEntity.&lt;Method&gt;.cs</c>.
/// Life: NotStarted → (the method's states) → Ended.
///
/// The write path (docs/persistence.md): the start is one durable write (with the steps the flow would otherwise
/// record one by one before its first request), and the client's reply waits for it, so a repeated cmd_id is
/// recognised even after a crash. Notifications are persisted with PersistAsync: the flow goes on at once, the
/// journal batches them with whatever else is pending, and each notification reaches subscribers only once it is
/// stored (<see cref="_durableCount"/>). Steps that guard a non-idempotent request (the INVITE, the REFER, the
/// re-INVITE) stay synchronous Persist: the request leaves only after its step is stored.</summary>
public sealed partial class CommandEntity : ReceivePersistentActor, IWithTimers
{
    private const string StatusRunning = "running";
    private const string JournalEntity = "command";

    private readonly IActorRef _miPool;
    private readonly IActorRef _dialogRegion;
    private readonly CommandSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<CommandNotification> _notifications = [];
    private readonly Dictionary<string, string?> _steps = new(StringComparer.Ordinal);
    private readonly HashSet<IActorRef> _subscribers = [];
    private CommandStarted? _started;
    private int _nextSeq = 1;

    /// <summary>How many of <see cref="_notifications"/> are stored. The flow decides on all of them (a notification
    /// is never emitted twice); clients only ever see the stored ones (queries, replays, live sends).</summary>
    private int _durableCount;

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

    /// <summary>Ended as clients can see it: the Ended notification is stored.</summary>
    private bool IsEnded => _durableCount > 0 && _notifications[_durableCount - 1].Kind == NotificationKind.Ended;

    private string Status => IsEnded ? _notifications[_durableCount - 1].Status ?? CommandNotification.StatusFailed : StatusRunning;

    public static Props Props(string cmdId, IActorRef miPool, IActorRef dialogRegion, CommandSettings settings) =>
        Akka.Actor.Props.Create(() => new CommandEntity(cmdId, miPool, dialogRegion, settings));

    private void OnRecovered()
    {
        if (RecoveredAsRemoved()) // retention hook: events deleted, tombstone only (CommandEntity.Retention.cs)
        {
            return;
        }

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

        // One write: the start and the steps the flow records before its first request (InitialSteps).
        var started = new CommandStarted(CmdId, start.Method, start.Params, DateTimeOffset.UtcNow);
        var events = new List<ICommandJournalEvent> { started };
        events.AddRange(InitialSteps(start.Method));
        CallClusterMetrics.JournalWrite(JournalEntity);
        PersistAll(events, e =>
        {
            ApplyStored(e);
            if (!ReferenceEquals(e, events[^1]))
            {
                return;
            }

            CallClusterMetrics.CommandStarted(started.Method);
            AddSubscriber(start.Subscriber);
            start.Subscriber.Tell(new CommandAccepted(CmdId, Existing: false));
            RunFlow(resumed: false);
        });
    }

    private void ApplyStored(ICommandJournalEvent stored)
    {
        switch (stored)
        {
            case CommandStarted s:
                _started = s;
                break;
            case CommandStepRecorded step:
                _steps[step.Step] = step.Value;
                break;
        }
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
            CmdId, _started!.Method, _started.Params, Status, _notifications.Take(_durableCount).ToArray())));
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
        subscribe.Subscriber.Tell(new CommandSubscribed(CmdId, _started!.Method, Status, _durableCount));
        Replay(subscribe.Subscriber, subscribe.AfterSeq);
        AddSubscriber(subscribe.Subscriber);
    }

    /// <summary>Sends the stored notifications after <paramref name="afterSeq"/>; those still being written follow
    /// live once stored, because the subscriber is added right after.</summary>
    private void Replay(IActorRef subscriber, int afterSeq)
    {
        for (var i = 0; i < _durableCount; i++)
        {
            if (_notifications[i].Seq > afterSeq)
            {
                subscriber.Tell(_notifications[i]);
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

    /// <summary>Decides a notification now (the flow sees it at once: <see cref="EmittedCount"/> never emits one
    /// twice) and persists it without blocking the flow (PersistAsync: handlers still run in order); once stored,
    /// it goes to every subscriber. Several emits while handling one message travel in one journal request.</summary>
    private void Emit(Func<int, CommandNotification> create, Action? afterPersisted = null)
    {
        var notification = create(_nextSeq++);
        _notifications.Add(notification);
        CallClusterMetrics.JournalWrite(JournalEntity);
        PersistAsync(new NotificationRecorded(notification), e =>
        {
            _durableCount++;
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

    /// <summary>The last event and Ended ok in one journal write (CallEnd's CALL_END, CallStart's last CALL_ANSWER).</summary>
    private void EmitEventThenEndOk(string code, string? callId = null, string? leg = null, string? sipStatus = null)
    {
        var last = CommandNotification.Event(CmdId, _nextSeq++, code, callId, leg, null, sipStatus);
        var ended = CommandNotification.EndedOk(CmdId, _nextSeq++);
        _notifications.Add(last);
        _notifications.Add(ended);
        CallClusterMetrics.JournalWrite(JournalEntity);
        PersistAllAsync([new NotificationRecorded(last), new NotificationRecorded(ended)], e =>
        {
            _durableCount++;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Tell(e.Notification);
            }

            if (e.Notification.Kind == NotificationKind.Ended)
            {
                OnEndedStored();
            }
        });
        Timers.CancelAll();
        Become(Ended);
    }

    private void EndOk() => End(seq => CommandNotification.EndedOk(CmdId, seq));

    private void EndFailed(int code, string message)
    {
        _log.Info("Command {0} ({1}) failed: {2} {3}", CmdId, _started!.Method, code, message);
        End(seq => CommandNotification.EndedFailed(CmdId, seq, code, message));
    }

    /// <summary>The flow is over the moment its Ended is decided: from here only the Ended state's handlers run,
    /// so nothing can be emitted after it while it is being stored.</summary>
    private void End(Func<int, CommandNotification> ended)
    {
        Emit(ended, OnEndedStored);
        Timers.CancelAll();
        Become(Ended);
    }

    private void OnEndedStored()
    {
        CallClusterMetrics.CommandEnded(_started!.Method, Status, DateTimeOffset.UtcNow - _started.StartedAt);
        foreach (var subscriber in _subscribers)
        {
            Context.Unwatch(subscriber);
        }

        _subscribers.Clear();
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
        Command<PurgeCommand>(OnPurge); // retention hook: delete the events (CommandEntity.Retention.cs)
        Command<MiOutcome>(o => Equals(o.Tag, CleanupTag), LogCleanupOutcome);
        Command<ReceiveTimeout>(_ =>
        {
            Context.SetReceiveTimeout(null);
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        CommandAny(m => _log.Debug("Command {0} ended: ignoring late {1}", CmdId, m.GetType().Name));
    }

    /// <summary>Stores a step before the non-idempotent request it guards; <paramref name="then"/> sends it.
    /// Synchronous Persist: nothing else is handled until the step is stored.</summary>
    private void RecordStep(string step, string? value, Action then)
    {
        CallClusterMetrics.JournalWrite(JournalEntity);
        Persist(new CommandStepRecorded(step, value), e =>
        {
            _steps[e.Step] = e.Value;
            then();
        });
    }

    /// <summary>Recovery: a replayed notification is stored by definition.</summary>
    private void Record(CommandNotification notification)
    {
        _notifications.Add(notification);
        _durableCount = _notifications.Count;
        _nextSeq = Math.Max(_nextSeq, notification.Seq + 1);
    }

    private string Param(string name) => _started!.Params.TryGetValue(name, out var value) ? value : "";

    private static bool SameParams(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
