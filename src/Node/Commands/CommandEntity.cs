using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Hosting.Metrics;
using CallCluster.Hosting.Tracing;
using CallCluster.Node.OpenSips;

using CallCluster.Node.Persistence;

namespace CallCluster.Node.Commands;

/// <summary>One client command (entity id = cmd_id): a thin shell around <see cref="CommandState"/>. It persists the
/// journal events the flows decide on, applies them to the state, and talks to clients; the rules of what a stored
/// event means are in <see cref="CommandState.Apply"/>. This file holds what every command shares: start and
/// idempotency, subscribers, CommandGet/CommandSubscribe, numbering and persisting notifications, ending.
/// Each method's flow is a set of named states in <c>CommandEntity.&lt;Method&gt;.cs</c>, one method per state.
/// Life: <see cref="NotStarted"/> → (the method's states) → <see cref="Ended"/>.
///
/// The write path (docs/persistence.md): the start is one durable write (with the facts the flow would otherwise
/// record one by one before its first request, <see cref="InitialFacts"/>), and the client's reply waits for it, so a
/// repeated cmd_id is recognised even after a crash. Notifications are persisted with PersistAsync: the flow goes on
/// at once, the journal batches them with whatever else is pending, and each notification reaches subscribers only
/// once it is stored (<see cref="CommandState.DurableCount"/>). Facts that guard a non-idempotent request (the INVITE,
/// the REFER, the re-INVITE) stay synchronous Persist (<see cref="PersistFact"/>): the request leaves only after its
/// fact is stored. Every journal call counts once in <c>CallClusterMetrics.JournalWrite("command")</c>.</summary>
public sealed partial class CommandEntity : ReceivePersistentActor, IWithTimers
{
    private const string JournalEntity = "command";

    private readonly IActorRef _miPool;
    private readonly IActorRef _dialogRegion;
    private readonly IActorRef? _commandRegion;
    private readonly CommandSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<IActorRef> _subscribers = [];

    /// <summary>Everything the journal rebuilds; replaced (never mutated) on each applied event or decided notification.</summary>
    private CommandState _state = CommandState.Empty;

    /// <param name="commandRegion">This entity's own region, to wake itself on a shard's next home
    /// (CommandEntity.Resume.cs); null in tests without sharding (the parent stands in).</param>
    /// <param name="knownNew">Nothing can be stored under this cmd_id (the gateway generated it for the StartCommand
    /// that starts this incarnation, CommandEntityShell): recover without the journal read.</param>
    public CommandEntity(string cmdId, IActorRef miPool, IActorRef dialogRegion, CommandSettings settings,
        IActorRef? commandRegion = null, bool knownNew = false)
    {
        Recovery = knownNew ? KnownNewRecovery.Instance : EntityRecovery.NoSnapshots;
        CmdId = cmdId;
        _miPool = miPool;
        _dialogRegion = dialogRegion;
        _commandRegion = commandRegion;
        _settings = settings;
        PersistenceId = "command-" + cmdId;

        Recover<ICommandJournalEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => OnRecovered());
    }

    public override string PersistenceId { get; }

    /// <summary>Never snapshotted: recovery skips the snapshot store (one query and transaction less per entity start);
    /// a command known to be new also skips the journal's read (<see cref="KnownNewRecovery"/>).</summary>
    public override Recovery Recovery { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private string CmdId { get; }

    private CommandStarted Started => _state.Start!;

    public static Props Props(string cmdId, IActorRef miPool, IActorRef dialogRegion, CommandSettings settings,
        IActorRef? commandRegion = null, bool knownNew = false) =>
        Akka.Actor.Props.Create(() => new CommandEntity(cmdId, miPool, dialogRegion, settings, commandRegion, knownNew));

    private void OnRecovered()
    {
        if (RecoveredAsRemoved()) // retention: events deleted, tombstone only (CommandEntity.Retention.cs)
        {
            return;
        }

        if (!_state.IsStarted)
        {
            Become(NotStarted);
        }
        else if (_state.IsEnded)
        {
            BecomeEnded();
        }
        else
        {
            _log.Info("Command {cmd_id} ({method}) resumes after recovery", CmdId, _state.Method);
            CallClusterMetrics.CommandStarted(_state.Method);
            StartCommandSpan(_state.Method, traceParent: null, resumed: true, firstSpan: Started.TraceParent);
            RunFlow(resumed: true);
        }
    }

    // ---- State: NotStarted ----------------------------------------------------------------------------------------

    /// <summary>Nothing stored under this cmd_id: only a StartCommand creates the command.</summary>
    private void NotStarted()
    {
        Command<StartCommand>(OnFirstStart);
        Command<CommandHandOff>(_ => Context.Stop(Self));
        Command<ResumeCommand>(OnResumeNothingToRun);
        Command<SubscribeCommand>(s => RejectUnknownAndStop(s.Subscriber));
        Command<GetCommand>(_ => RejectUnknownAndStop(Sender));
        Command<UnsubscribeCommand>(_ => { });
        CommandAny(m => _log.Debug("Command {cmd_id} not started: ignoring {message_type}", CmdId, m.GetType().Name));
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

        StartCommandSpan(start.Method, start.TraceParent, resumed: false);
        // One write: the start and the facts the flow records before its first request (InitialFacts).
        var started = new CommandStarted(CmdId, start.Method, start.Params, DateTimeOffset.UtcNow)
        {
            TraceParent = CallClusterTracing.TraceParentOf(_span),
        };
        var events = new List<ICommandJournalEvent> { started };
        events.AddRange(InitialFacts(start.Method));
        CallClusterMetrics.JournalWrite(JournalEntity);
        PersistAll(events, e =>
        {
            _state = _state.Apply(e);
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

    private void RejectUnknownAndStop(IActorRef requester)
    {
        requester.Tell(new CommandRejected(CmdId, ErrorCodes.InvalidParams, "Invalid params", "cmd_id: no such command"));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    // ---- Shared by every state after the start ---------------------------------------------------------------------

    /// <summary>Handlers valid in every state after the start: idempotent repeats, queries, subscriptions.
    /// Each state registers them first; the first matching handler wins.</summary>
    private void CommonHandlers()
    {
        TraceEviEvents(); // first: records each EVI event on the command's span and passes it on (CommandEntity.Tracing.cs)
        Command<StartCommand>(OnRepeatedStart);
        Command<SubscribeCommand>(OnSubscribe);
        Command<UnsubscribeCommand>(u => RemoveSubscriber(u.Subscriber));
        Command<GetCommand>(_ => Sender.Tell(new CommandSnapshot(
            CmdId, Started.Method, Started.Params, _state.Status, _state.Durable.ToArray())));
        Command<Terminated>(t => _subscribers.Remove(t.ActorRef));
        // The shard moves: whatever this state decided and stored has been acted on (see CommandHandOff); the
        // incarnation on the other node resumes from the journal, woken by this one (CommandEntity.Resume.cs).
        Command<CommandHandOff>(_ => StopForHandOff());
        Command<ResumeCommand>(OnResume);
    }

    private void OnRepeatedStart(StartCommand start)
    {
        if (!_state.SameStart(start.Method, start.Params))
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
        subscribe.Subscriber.Tell(new CommandSubscribed(CmdId, Started.Method, _state.Status, _state.DurableCount));
        Replay(subscribe.Subscriber, subscribe.AfterSeq);
        AddSubscriber(subscribe.Subscriber);
    }

    /// <summary>Sends the stored notifications after <paramref name="afterSeq"/>; those still being written follow
    /// live once stored, because the subscriber is added right after.</summary>
    private void Replay(IActorRef subscriber, int afterSeq)
    {
        foreach (var notification in _state.Durable)
        {
            if (notification.Seq > afterSeq)
            {
                subscriber.Tell(notification);
            }
        }
    }

    private void AddSubscriber(IActorRef subscriber)
    {
        if (!_state.IsEnded && !subscriber.IsNobody() && _subscribers.Add(subscriber))
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

    // ---- Persisting ------------------------------------------------------------------------------------------------

    /// <summary>Stores a fact before the non-idempotent request it guards; <paramref name="then"/> sends it.
    /// Synchronous Persist: nothing else is handled until the fact is stored.</summary>
    private void PersistFact(ICommandJournalEvent fact, Action then)
    {
        CallClusterMetrics.JournalWrite(JournalEntity);
        Persist(fact, e =>
        {
            _state = _state.Apply(e);
            then();
        });
    }

    /// <summary>Decides a notification now (the flow sees it at once: <see cref="CommandState.EmittedCount"/> never
    /// emits one twice) and persists it without blocking the flow (PersistAsync: handlers still run in order); once
    /// stored, it goes to every subscriber. Several emits while handling one message travel in one journal request.</summary>
    private void Emit(Func<int, CommandNotification> create, Action? afterPersisted = null)
    {
        var notification = create(_state.NextSeq);
        _state = _state.Decide(notification);
        CallClusterMetrics.JournalWrite(JournalEntity);
        PersistAsync(new NotificationRecorded(notification), e =>
        {
            NotificationStored(e.Notification);
            afterPersisted?.Invoke();
        });
    }

    private void NotificationStored(CommandNotification notification)
    {
        _state = _state.NotificationStored();
        foreach (var subscriber in _subscribers)
        {
            subscriber.Tell(notification);
        }
    }

    private void EmitEvent(string code, string? callId = null, string? leg = null, string? destination = null,
        string? sipStatus = null) =>
        Emit(seq => CommandNotification.Event(CmdId, seq, code, callId, leg, destination, sipStatus));

    /// <summary>The last event and Ended ok in one journal write (CallEnd's CALL_END, CallStart's last CALL_ANSWER).</summary>
    private void EmitEventThenEndOk(string code, string? callId = null, string? leg = null, string? sipStatus = null)
    {
        var last = CommandNotification.Event(CmdId, _state.NextSeq, code, callId, leg, null, sipStatus);
        _state = _state.Decide(last);
        var ended = CommandNotification.EndedOk(CmdId, _state.NextSeq);
        _state = _state.Decide(ended);
        CallClusterMetrics.JournalWrite(JournalEntity);
        PersistAllAsync([new NotificationRecorded(last), new NotificationRecorded(ended)], e =>
        {
            NotificationStored(e.Notification);
            if (e.Notification.Kind == NotificationKind.Ended)
            {
                OnEndedStored();
            }
        });
        Timers.CancelAll();
        Become(Ended);
    }

    // ---- Ending ----------------------------------------------------------------------------------------------------

    private void EndOk() => End(seq => CommandNotification.EndedOk(CmdId, seq));

    private void EndFailed(int code, string message)
    {
        _log.Info("Command {cmd_id} ({method}) failed: {code} {error}", CmdId, _state.Method, code, message);
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
        CallClusterMetrics.CommandEnded(Started.Method, _state.Status, DateTimeOffset.UtcNow - Started.StartedAt);
        foreach (var subscriber in _subscribers)
        {
            Context.Unwatch(subscriber);
        }

        _subscribers.Clear();
        DetachFromDialogs();
        EndCommandSpan();
        BecomeEnded();
    }

    private void BecomeEnded()
    {
        Become(Ended);
        Context.SetReceiveTimeout(_settings.EndedLinger);
    }

    // ---- State: Ended ----------------------------------------------------------------------------------------------

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
        CommandAny(m => _log.Debug("Command {cmd_id} ended: ignoring late {message_type}", CmdId, m.GetType().Name));
    }

    private string Param(string name) => _state.Param(name);
}
