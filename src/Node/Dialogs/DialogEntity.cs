using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using CallCluster.Contracts;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Contracts.Sharding;
using CallCluster.Node.Events;
using CallCluster.Node.OpenSips;
using CallCluster.Node.Sharding;

namespace CallCluster.Node.Dialogs;

/// <summary>One SIP dialog (entity id = Call-ID), kept in memory only. It records the states OpenSIPS reports,
/// remembers which commands act on it, forwards its events to them through the command region, and passivates a
/// while after it ended.
///
/// Why it is not persisted (docs/persistence.md has the figures): OpenSIPS itself keeps every dialog and answers
/// <c>dlg_list</c>, so nothing here is lost for good when a node dies. Persisting every EVI event cost a journal
/// recovery read per new Call-ID plus one write per state change, attach and detach — most of the journal's load.
/// After a restart an entity starts at state 0 ("nothing heard yet"): commands already treat that as "the proxy
/// decides", running commands re-attach when they resume (they are persisted), and a CallGet asks the proxy
/// (<c>dlg_list</c>) before answering. What a restart forgets: the ids of finished commands and the hold flags
/// (both for display), and that a transfer was attempted (OpenSIPS refuses a second one itself).
///
/// States, each one method: <see cref="Tracking"/> (alive) → <see cref="Ended"/> (deleted; still absorbs late
/// events until the linger timeout passivates it); <see cref="VerifyingConflict"/> for a moment while it asks
/// whether a command in the way still runs. A dialog the proxy never reported and no command watches (a CallEnd or
/// CallGet of a made-up Call-ID) passivates at once, so unknown ids leave nothing behind.
///
/// An <see cref="UntypedActor"/> with no per-instance handler tables, timers, stash or logger: a node tracks up to
/// 100,000 of these, and each of those would cost hundreds of bytes per dialog (bench/README.md, dialog-memory).</summary>
public sealed class DialogEntity : UntypedActor
{
    private const string ReconcileTag = "reconcile";
    private const string PartiesTag = "parties";
    private static readonly TimeSpan VerifyWithin = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ReconcileWithin = TimeSpan.FromSeconds(2);

    /// <summary>How long, and how many, recent transfer/hold events are kept: longer than a command takes to resume
    /// on another node (failover measured at 7–8 s), few enough to cost nothing on idle dialogs.</summary>
    private static readonly TimeSpan RecentFor = TimeSpan.FromSeconds(30);
    private const int MaxRecent = 8;

    /// <summary>What every dialog of the region shares, held once (one field rather than five, per dialog).</summary>
    private readonly Peers _peers;
    private DialogState _state;

    /// <summary>Call events of this dialog (docs/call-events.md); null until the first state event, and always when
    /// events are off (the event log is Nobody).</summary>
    private CallEventEmitter? _events;

    /// <summary>CallGet requesters waiting for the proxy's <c>dlg_list</c>; allocated only while one waits.</summary>
    private List<IActorRef>? _queriesAwaitingProxy;

    /// <summary>The last transfer and hold events, kept a short while for commands that attach after them. A command that
    /// moves to another node (hand-off, crash) re-attaches only when it resumes: an E_CALL_TRANSFER "start" raised in
    /// between either went unclaimed (this dialog is a fresh incarnation that has forgotten its watchers) or was
    /// forwarded to the incarnation that was stopping and lost with it. Without this memory the resumed transfer would
    /// fail on its watchdog. A new command gets the unclaimed ones, a command attaching again also those forwarded to
    /// it (<see cref="ReplayRecent"/>). State changes need no such memory: the attach answer carries the state.
    /// Allocated only when a transfer or hold event arrives.</summary>
    private List<RecentEvent>? _recent;

    /// <summary>The conflict being verified, with the messages that wait for its outcome; null in every other state.</summary>
    private ConflictCheck? _conflictCheck;

    /// <summary>Public for Akka's activator; <see cref="Props"/> is how a dialog is made.</summary>
    public DialogEntity(Peers peers)
    {
        _peers = peers;
        // Sharding names an entity after its id, escaped (Uri.EscapeDataString). Unescaping a name without escapes
        // returns the name itself; a Call-ID with escaped characters ('@') is kept as a second string.
        _state = DialogState.Empty(Uri.UnescapeDataString(Self.Path.Name));
    }

    /// <summary>The one Props of every dialog entity of a region: the entity takes its Call-ID from its actor name,
    /// as sharding gives it (a test names the actor after the Call-ID it plays). One shared Props rather than one per
    /// entity, because an actor keeps its Props for life, and per dialog that was a Props, its producer and argument
    /// array, and a Deploy: a few hundred bytes each of 100,000 idle dialogs (bench/README.md, dialog-memory).</summary>
    /// <param name="miPool">Where to ask <c>dlg_list</c> when a query finds the dialog unknown (after a restart);
    /// Nobody answers from memory only (entity tests, benchmarks).</param>
    /// <param name="dialogRegion">This entity's own region, where a hand-off sends the recent events to the next
    /// incarnation (<see cref="DialogHandOff"/>); Nobody drops them.</param>
    /// <param name="eventLog">The node's <see cref="CallEventLog"/>; Nobody: call events are off.</param>
    /// <param name="partyLookups">Where to ask <c>dlg_list</c> for a call's parties, which no client waits on (the node's
    /// <see cref="OpenSips.MiBackgroundLane"/>); the MI pool itself when absent.</param>
    public static Props Props(IActorRef commandRegion, DialogSettings settings, IActorRef? miPool = null,
        IActorRef? dialogRegion = null, IActorRef? eventLog = null, IActorRef? partyLookups = null)
    {
        var peers = new Peers(commandRegion, dialogRegion ?? ActorRefs.Nobody, miPool ?? ActorRefs.Nobody,
            partyLookups ?? miPool ?? ActorRefs.Nobody, eventLog ?? ActorRefs.Nobody, settings);
        return Akka.Actor.Props.Create(() => new DialogEntity(peers)).WithMailbox(MailboxConfigPath);
    }

    /// <summary>What every dialog of a region shares (see <see cref="Props"/>).</summary>
    /// <param name="PartyLookups">Where the parties' <c>dlg_list</c> goes (Props says why not the pool).</param>
    /// <param name="EventLog">Nobody: call events are off.</param>
    public sealed record Peers(IActorRef CommandRegion, IActorRef DialogRegion, IActorRef MiPool, IActorRef PartyLookups,
        IActorRef EventLog, DialogSettings Settings);

    /// <summary>A node keeps up to 100,000 dialogs, nearly all idle: their mailbox is the one whose empty queue is small
    /// (<see cref="Mailboxes.SingleConsumerMessageQueue"/>; hocon/node.conf names it).</summary>
    public const string MailboxConfigPath = "callcluster.dialog-mailbox";

    /// <summary>The state the actor is in; <see cref="OnReceive"/> is <see cref="Tracking"/>.</summary>
    private StateName _stateName = StateName.Tracking;

    private enum StateName
    {
        Tracking,
        Ended,
        VerifyingConflict,
    }

    protected override void OnReceive(object message) => Tracking(message);

    protected override void PostStop() => _conflictCheck?.Timeout?.Cancel();

    private ILoggingAdapter Log => Context.GetLogger();

    // ---------------------------------------------------------------- states

    private void Tracking(object message)
    {
        if (!Common(message, Sender))
        {
            Unhandled(message);
        }
    }

    private void Ended(object message)
    {
        if (message is ReceiveTimeout)
        {
            Passivate();
        }
        else if (!Common(message, Sender))
        {
            Unhandled(message);
        }
    }

    /// <summary>Waiting for the command in the way to say whether it still runs; everything else waits in order.</summary>
    private void VerifyingConflict(object message)
    {
        var check = _conflictCheck!;
        switch (message)
        {
            case CommandSnapshot s when s.CmdId == check.InTheWay:
                if (s.Status == "running")
                {
                    ConflictStands(check);
                }
                else
                {
                    DetachStaleThenRetry(check);
                }

                break;
            case CommandRejected r when r.CmdId == check.InTheWay:
                DetachStaleThenRetry(check);
                break;
            case VerifyTimeout t when ReferenceEquals(t.Check, check):
                ConflictStands(check);
                break;
            case VerifyTimeout:
                break; // of an earlier check
            default:
                check.Waiting.Enqueue((message, Sender));
                break;
        }
    }

    private void BecomeForState()
    {
        if (_state.IsDeleted)
        {
            Enter(StateName.Ended);
            Context.SetReceiveTimeout(_peers.Settings.EndedLinger);
        }
        else
        {
            // A late 2xx can bring a deleted dialog back (5→3): it is alive again.
            Context.SetReceiveTimeout(null);
            Enter(StateName.Tracking);
        }
    }

    /// <summary>Becomes <paramref name="next"/> unless the actor is in it already. That matters for memory: Akka keeps an
    /// actor's first behaviour in a small cell state and moves to a full one (dictionaries, sets and a stack: 570 bytes
    /// more per dialog, measured) at the first <c>Become</c>, so a dialog that only ever tracks, as nearly all idle ones do, must never
    /// call it (bench/README.md, dialog-memory).</summary>
    private void Enter(StateName next)
    {
        if (next == _stateName)
        {
            return;
        }

        _stateName = next;
        Become(next switch
        {
            StateName.Ended => Ended,
            StateName.VerifyingConflict => VerifyingConflict,
            _ => Tracking,
        });
    }

    /// <summary>What every state but VerifyingConflict handles. The sender is explicit: messages that waited for a
    /// conflict check are handled later, with the sender they came with.</summary>
    private bool Common(object message, IActorRef sender)
    {
        switch (message)
        {
            case DialogStateChanged e:
                OnStateChanged(e);
                return true;
            case CallTransferEvent or CallHoldEvent:
                ForwardOrKeep((IEviEvent)message);
                return true;
            case RecordHoldState record:
                OnRecordHoldState(record);
                return true;
            case RecordCallOrigin origin:
                _state = _state.Apply(origin);
                return true;
            case AttachCommand attach:
                Attach(attach, sender);
                return true;
            case DetachCommand detach:
                OnDetach(detach);
                return true;
            case GetDialog:
                OnQuery(sender);
                return true;
            case MiOutcome outcome when Equals(outcome.Tag, ReconcileTag):
                OnReconciled(outcome);
                return true;
            case MiOutcome outcome when Equals(outcome.Tag, PartiesTag):
                OnParties(outcome);
                return true;
            case DialogWatchersHandedOver watchers:
                OnWatchersHandedOver(watchers);
                return true;
            case DialogEventHandedOver handedOver:
                OnHandedOver(handedOver);
                return true;
            case DialogHandOff:
                HandOverWatchers();
                HandOverRecentEvents();
                Context.Stop(Self);
                return true;
            default:
                return false;
        }
    }

    // ---------------------------------------------------------------- events from the proxy

    private void OnStateChanged(DialogStateChanged e)
    {
        if (_state.HasSeen(e.OldState, e.NewState))
        {
            Log.Debug("Dialog {callid}: duplicate state event {old_state}->{new_state} ignored", e.CallId, e.OldState, e.NewState);
            return;
        }

        _state = _state.Apply(new DialogStateRecorded(e.DialogId, e.DbId, e.FromTag, e.ToTag, e.OldState, e.NewState));
        ForwardToCommands(e);
        EmitCallEvent(e);
        BecomeForState();
    }

    /// <summary>The call event <paramref name="e"/> means, if any, to the node's event log. Commands are told first: an
    /// application hears of a call no sooner than the command that drives it.</summary>
    private void EmitCallEvent(IEviEvent e)
    {
        if (_peers.EventLog.IsNobody())
        {
            return;
        }

        _events ??= new CallEventEmitter();
        if (e is DialogStateChanged && !_peers.MiPool.IsNobody() && _events.StartLookup(_state))
        {
            _peers.PartyLookups.Tell(new MiCall("dlg_list", [new("callid", _state.CallId)], Tag: PartiesTag, Timeout: ReconcileWithin));
        }

        var (emissions, emitted) = CallEventRules.For(e, _state, _events.Emitted);
        _events.Emitted = emitted;
        foreach (var emission in emissions)
        {
            _events.Emit(emission, _state, _peers.EventLog);
        }
    }

    /// <summary>The proxy's <c>dlg_list</c> answer for the parties: {"Dialog":{...,"from_uri":"sip:..","to_uri":"sip:.."}}.</summary>
    private void OnParties(MiOutcome outcome)
    {
        string? from = null, to = null;
        if (outcome is MiSuccess { Value: { ValueKind: JsonValueKind.Object } value }
            && value.TryGetProperty("Dialog", out var dialog) && dialog.ValueKind == JsonValueKind.Object)
        {
            from = dialog.TryGetProperty("from_uri", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            to = dialog.TryGetProperty("to_uri", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }

        _events?.OnParties(from, to, _peers.EventLog);
    }

    private void ForwardToCommands(IEviEvent e)
    {
        foreach (var cmdId in _state.Watchers.Keys)
        {
            _peers.CommandRegion.Tell(new DialogEventNotice(cmdId, e));
        }
    }

    private void OnRecordHoldState(RecordHoldState record)
    {
        if (record.Leg is ("caller" or "callee") && _state.IsHeld(record.Leg) != record.Held)
        {
            _state = _state.Apply(new DialogHoldRecorded(record.Leg, record.Held));
        }
    }

    // ---------------------------------------------------------------- queries

    /// <summary>CallGet. State 0 means this entity has heard nothing of the call (new, or started again after a
    /// restart): the proxy knows better, so ask it once before answering.</summary>
    private void OnQuery(IActorRef requester)
    {
        if (_state.State != DialogPhase.Unknown || _peers.MiPool.IsNobody())
        {
            requester.Tell(_state.ToView());
            PassivateIfUnknown();
            return;
        }

        _queriesAwaitingProxy ??= [];
        _queriesAwaitingProxy.Add(requester);
        if (_queriesAwaitingProxy.Count == 1)
        {
            _peers.MiPool.Tell(new MiCall("dlg_list", [new("callid", _state.CallId)], Tag: ReconcileTag, Timeout: ReconcileWithin));
        }
    }

    private void OnReconciled(MiOutcome outcome)
    {
        if (outcome is MiSuccess success && ReadDlgList(success.Value) is { } reported && _state.State == DialogPhase.Unknown)
        {
            _state = _state.Apply(reported);
            BecomeForState();
        }
        else if (outcome is not MiSuccess and not MiFailure { Code: 404 })
        {
            Log.Warning("Dialog {callid}: the proxy did not say whether it knows the call ({outcome})", _state.CallId, outcome.GetType().Name);
        }

        foreach (var requester in _queriesAwaitingProxy ?? [])
        {
            requester.Tell(_state.ToView());
        }

        _queriesAwaitingProxy = null;
        PassivateIfUnknown();
    }

    /// <summary>The state a <c>dlg_list {callid}</c> result reports, as if its events had been seen:
    /// {"Dialog":{"ID":"47.f18e9f95","db_id":"…","state":4,"caller_tag":"…","callee_tag":"…",…}}.</summary>
    private static DialogStateRecorded? ReadDlgList(JsonElement result)
    {
        if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty("Dialog", out var dialog)
            || dialog.ValueKind != JsonValueKind.Object || !dialog.TryGetProperty("state", out var stateElement)
            || !stateElement.TryGetInt32(out var state) || state.AsPhase() is < DialogPhase.Unconfirmed or > DialogPhase.Deleted)
        {
            return null;
        }

        static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        return new DialogStateRecorded(Text(dialog, "ID") ?? "", Text(dialog, "db_id"), Text(dialog, "caller_tag"),
            Text(dialog, "callee_tag"), (int)DialogPhase.Unknown, state);
    }

    // ---------------------------------------------------------------- commands attaching and detaching

    private void Attach(AttachCommand attach, IActorRef requester)
    {
        if (_state.Watchers.TryGetValue(attach.CmdId, out var current) && current == attach.Operation)
        {
            // Attaching again: a resumed incarnation (or a retry whose answer was late). What was forwarded to the
            // previous incarnation may have been lost with it.
            requester.Tell(new DialogAttached(attach.CmdId, _state.ToView()));
            ReplayRecent(attach.CmdId);
            return;
        }

        var conflict = _state.ConflictWith(attach.CmdId, attach.Operation);
        if (conflict is { CmdId: { } inTheWay })
        {
            VerifyStillRunning(new ConflictCheck(inTheWay, conflict.Reason, attach, requester));
            return;
        }

        if (conflict is not null)
        {
            requester.Tell(new DialogBusy(attach.CmdId, attach.CallId, conflict.Reason));
            return;
        }

        _state = _state.Apply(new DialogCommandAttached(attach.CmdId, attach.Operation));
        requester.Tell(new DialogAttached(attach.CmdId, _state.ToView()));
        ReplayRecent(attach.CmdId);
    }

    /// <summary>Transfer and hold events: forwarded to the watching commands, and kept a short while either way.</summary>
    private void ForwardOrKeep(IEviEvent e)
    {
        var forwardedTo = _state.Watchers.Keys.ToArray();
        ForwardToCommands(e);
        EmitCallEvent(e);

        var now = Environment.TickCount64;
        _recent ??= [];
        _recent.RemoveAll(r => now - r.AtMs > RecentFor.TotalMilliseconds);
        if (_recent.Count >= MaxRecent)
        {
            _recent.RemoveAt(0);
        }

        _recent.Add(new RecentEvent(e, now, forwardedTo));
    }

    /// <summary>The shard moves: the commands watching this dialog go to the next incarnation first (through the region,
    /// like the recent events after them), so that its events still reach a command that does not move itself.</summary>
    private void HandOverWatchers()
    {
        if (!_state.Watchers.IsEmpty)
        {
            HandOver(new DialogWatchersHandedOver(_state.CallId, _state.Watchers));
        }
    }

    /// <summary>Through this node's region, or another node's when this one is leaving (<see cref="HandOverRoute"/>).</summary>
    private void HandOver(IDialogMessage message)
    {
        if (!_peers.DialogRegion.IsNobody())
        {
            HandOverRoute.Tell(Context, _peers.DialogRegion, ShardRegions.Dialog, message);
        }
    }

    /// <summary>From the previous incarnation: its watchers watch this one too, and get what came before this message
    /// (events nobody here could claim yet). A command that attached here meanwhile keeps its own attachment; one
    /// that would now conflict with it is left out (it re-attaches, and is told busy, when it resumes).</summary>
    private void OnWatchersHandedOver(DialogWatchersHandedOver handedOver)
    {
        foreach (var (cmdId, operation) in handedOver.Watchers)
        {
            if (_state.Watchers.ContainsKey(cmdId) || _state.ConflictWith(cmdId, operation) is not null)
            {
                continue;
            }

            _state = _state.Apply(new DialogCommandAttached(cmdId, operation));
            ReplayRecent(cmdId);
        }
    }

    /// <summary>The shard moves: the recent events go to the next incarnation through the region, which holds them until
    /// the shard runs again (on this node or another).</summary>
    private void HandOverRecentEvents()
    {
        if (_recent is null)
        {
            return;
        }

        var now = Environment.TickCount64;
        foreach (var recent in _recent.Where(r => now - r.AtMs <= RecentFor.TotalMilliseconds))
        {
            HandOver(new DialogEventHandedOver(_state.CallId, recent.Event, now - recent.AtMs, recent.ForwardedTo));
        }
    }

    /// <summary>From the previous incarnation: kept like an event of its own age, and given to any command already
    /// attached again that it was meant for (a command can resume and attach before this arrives).</summary>
    private void OnHandedOver(DialogEventHandedOver handedOver)
    {
        var now = Environment.TickCount64;
        var recent = new RecentEvent(handedOver.Event, now - handedOver.AgeMs, handedOver.ForwardedTo.ToArray());
        if (now - recent.AtMs > RecentFor.TotalMilliseconds)
        {
            return;
        }

        _recent ??= [];
        if (_recent.Count >= MaxRecent)
        {
            _recent.RemoveAt(0);
        }

        _recent.Add(recent);
        foreach (var cmdId in _state.Watchers.Keys.Where(id => ShouldReplay(recent, id)))
        {
            _peers.CommandRegion.Tell(new DialogEventNotice(cmdId, recent.Event));
        }
    }

    private static bool ShouldReplay(RecentEvent recent, string cmdId) =>
        recent.ForwardedTo.Length == 0 ||
        (recent.ForwardedTo.Contains(cmdId) && recent.Event is not CallTransferEvent { State: "notify" });

    /// <summary>The attaching command gets the recent events, oldest first (through the command region, like every
    /// event; its Attaching state keeps events that overtake the attach answer): those nobody claimed, and to a command
    /// attaching again also those already forwarded to it, except transfer "notify" progress (reported
    /// to the client as it comes, so a replay would repeat it). Duplicates of the others are harmless: every flow
    /// already takes each transfer start/ok/fail and hold event once, as OpenSIPS itself sends duplicates.</summary>
    private void ReplayRecent(string cmdId)
    {
        if (_recent is null)
        {
            return;
        }

        var now = Environment.TickCount64;
        _recent.RemoveAll(r => now - r.AtMs > RecentFor.TotalMilliseconds);
        foreach (var recent in _recent.Where(r => ShouldReplay(r, cmdId)))
        {
            _peers.CommandRegion.Tell(new DialogEventNotice(cmdId, recent.Event));
        }

        if (_recent.Count == 0)
        {
            _recent = null;
        }
    }

    /// <summary>A detach is fire-and-forget and can be lost (sent while this dialog's shard was being handed off, or
    /// by a command that crashed): before calling the dialog busy, ask the command in the way whether it still runs.
    /// An ended or unknown command is detached here; if it does not answer in time the dialog stays busy.</summary>
    private void VerifyStillRunning(ConflictCheck check)
    {
        _conflictCheck = check;
        _peers.CommandRegion.Tell(new GetCommand(check.InTheWay));
        // Not IWithTimers: its scheduler would be allocated for every dialog, and only a conflict ever needs a timer.
        check.Timeout = Context.System.Scheduler.ScheduleTellOnceCancelable(VerifyWithin, Self, new VerifyTimeout(check), Self);
        Enter(StateName.VerifyingConflict);
    }

    private void ConflictStands(ConflictCheck check)
    {
        check.Requester.Tell(new DialogBusy(check.Attach.CmdId, check.Attach.CallId, check.Reason));
        EndConflictCheck(check);
    }

    private void DetachStaleThenRetry(ConflictCheck check)
    {
        Log.Info("Dialog {callid}: command {cmd_id} no longer runs; its watch is dropped", _state.CallId, check.InTheWay);
        _state = _state.Apply(new DialogCommandDetached(check.InTheWay));
        EndConflictCheck(check, retry: () => Attach(check.Attach, check.Requester));
    }

    /// <summary>Back to the state the dialog is in, then the retried attach if any, then the messages that waited, handled now, in their order and with
    /// their senders (before anything newer in the mailbox). One of them may start another check: the rest wait for it.</summary>
    private void EndConflictCheck(ConflictCheck check, Action? retry = null)
    {
        check.Timeout?.Cancel();
        _conflictCheck = null;
        BecomeForState();
        retry?.Invoke();
        while (check.Waiting.TryDequeue(out var waiting))
        {
            if (_conflictCheck is not null)
            {
                _conflictCheck.Waiting.Enqueue(waiting);
            }
            else if (waiting.Message is ReceiveTimeout && _state.IsDeleted)
            {
                Passivate();
            }
            else if (!Common(waiting.Message, waiting.Sender))
            {
                Unhandled(waiting.Message);
            }
        }
    }

    private void OnDetach(DetachCommand detach)
    {
        if (!_state.Watchers.ContainsKey(detach.CmdId))
        {
            return;
        }

        _state = _state.Apply(new DialogCommandDetached(detach.CmdId));
        PassivateIfUnknown();
    }

    // ---------------------------------------------------------------- passivation

    /// <summary>A Call-ID the proxy never reported, that no command watches and no query waits for, is not a call:
    /// keeping it would let any client fill a node's memory with made-up ids.</summary>
    private void PassivateIfUnknown()
    {
        if (_state.State == DialogPhase.Unknown && _state.Watchers.IsEmpty && _queriesAwaitingProxy is null)
        {
            Passivate();
        }
    }

    private void Passivate()
    {
        Context.SetReceiveTimeout(null);
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    /// <summary>A transfer or hold event kept by <see cref="ForwardOrKeep"/>, with the commands that were watching
    /// when it came (empty: unclaimed).</summary>
    private sealed record RecentEvent(IEviEvent Event, long AtMs, string[] ForwardedTo);

    private sealed record ConflictCheck(string InTheWay, string Reason, AttachCommand Attach, IActorRef Requester)
    {
        public Queue<(object Message, IActorRef Sender)> Waiting { get; } = new();

        public ICancelable? Timeout { get; set; }
    }

    private sealed record VerifyTimeout(ConflictCheck Check);
}
