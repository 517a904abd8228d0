using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Node.OpenSips;

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
/// States: Tracking (alive) → Ended (deleted; still absorbs late events until the linger timer passivates it).
/// A dialog the proxy never reported and no command watches (a CallEnd or CallGet of a made-up Call-ID)
/// passivates at once, so unknown ids leave nothing behind.</summary>
public sealed class DialogEntity : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    private const string VerifyTimer = "verify-conflict";
    private const string ReconcileTag = "reconcile";
    private static readonly TimeSpan VerifyWithin = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ReconcileWithin = TimeSpan.FromSeconds(2);

    private readonly IActorRef _commandRegion;
    private readonly IActorRef _miPool;
    private readonly DialogSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _queriesAwaitingProxy = [];
    private DialogState _state;

    public DialogEntity(string callId, IActorRef commandRegion, DialogSettings settings, IActorRef? miPool = null)
    {
        _commandRegion = commandRegion;
        _miPool = miPool ?? ActorRefs.Nobody;
        _settings = settings;
        _state = DialogState.Empty(callId);
        Become(Tracking);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    private sealed record VerifyTimeout;

    /// <param name="miPool">Where to ask <c>dlg_list</c> when a query finds the dialog unknown (after a restart);
    /// Nobody answers from memory only (entity tests, benchmarks).</param>
    public static Props Props(string callId, IActorRef commandRegion, DialogSettings settings, IActorRef? miPool = null) =>
        Akka.Actor.Props.Create(() => new DialogEntity(callId, commandRegion, settings, miPool));

    private void BecomeForState()
    {
        if (_state.IsDeleted)
        {
            BecomeEnded();
        }
        else
        {
            Context.SetReceiveTimeout(null);
            Become(Tracking);
        }
    }

    private void Tracking() => CommonHandlers();

    private void BecomeEnded()
    {
        Become(Ended);
        Context.SetReceiveTimeout(_settings.EndedLinger);
    }

    private void Ended()
    {
        CommonHandlers();
        Receive<ReceiveTimeout>(_ => Passivate());
    }

    private void CommonHandlers()
    {
        Receive<DialogStateChanged>(OnStateChanged);
        Receive<CallTransferEvent>(ForwardToCommands);
        Receive<CallHoldEvent>(ForwardToCommands);
        Receive<RecordHoldState>(OnRecordHoldState);
        Receive<AttachCommand>(attach => Attach(attach, Sender));
        Receive<DetachCommand>(OnDetach);
        Receive<GetDialog>(_ => OnQuery(Sender));
        Receive<MiOutcome>(o => Equals(o.Tag, ReconcileTag), OnReconciled);
    }

    private void OnStateChanged(DialogStateChanged e)
    {
        if (_state.HasSeen(e.OldState, e.NewState))
        {
            _log.Debug("Dialog {0}: duplicate state event {1}->{2} ignored", e.CallId, e.OldState, e.NewState);
            return;
        }

        _state = _state.Apply(new DialogStateRecorded(e.DialogId, e.DbId, e.FromTag, e.ToTag, e.OldState, e.NewState));
        ForwardToCommands(e);
        // A late 2xx can bring a deleted dialog back (5→3): it is alive again.
        BecomeForState();
    }

    private void ForwardToCommands(IEviEvent e)
    {
        foreach (var cmdId in _state.Watchers.Keys)
        {
            _commandRegion.Tell(new DialogEventNotice(cmdId, e));
        }
    }

    private void OnRecordHoldState(RecordHoldState record)
    {
        if (record.Leg is ("caller" or "callee") && _state.IsHeld(record.Leg) != record.Held)
        {
            _state = _state.Apply(new DialogHoldRecorded(record.Leg, record.Held));
        }
    }

    /// <summary>CallGet. State 0 means this entity has heard nothing of the call (new, or started again after a
    /// restart): the proxy knows better, so ask it once before answering.</summary>
    private void OnQuery(IActorRef requester)
    {
        if (_state.State != 0 || _miPool.IsNobody())
        {
            requester.Tell(_state.ToView());
            PassivateIfUnknown();
            return;
        }

        _queriesAwaitingProxy.Add(requester);
        if (_queriesAwaitingProxy.Count == 1)
        {
            _miPool.Tell(new MiCall("dlg_list", [new("callid", _state.CallId)], Tag: ReconcileTag, Timeout: ReconcileWithin));
        }
    }

    private void OnReconciled(MiOutcome outcome)
    {
        if (outcome is MiSuccess success && ReadDlgList(success.Value) is { } reported && _state.State == 0)
        {
            _state = _state.Apply(reported);
            BecomeForState();
        }
        else if (outcome is not MiSuccess and not MiFailure { Code: 404 })
        {
            _log.Warning("Dialog {0}: the proxy did not say whether it knows the call ({1})", _state.CallId, outcome.GetType().Name);
        }

        foreach (var requester in _queriesAwaitingProxy)
        {
            requester.Tell(_state.ToView());
        }

        _queriesAwaitingProxy.Clear();
        PassivateIfUnknown();
    }

    /// <summary>The state a <c>dlg_list {callid}</c> result reports, as if its events had been seen:
    /// {"Dialog":{"ID":"47.f18e9f95","db_id":"…","state":4,"caller_tag":"…","callee_tag":"…",…}}.</summary>
    private static DialogStateRecorded? ReadDlgList(JsonElement result)
    {
        if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty("Dialog", out var dialog)
            || dialog.ValueKind != JsonValueKind.Object || !dialog.TryGetProperty("state", out var stateElement)
            || !stateElement.TryGetInt32(out var state) || state is < 1 or > DialogState.Deleted)
        {
            return null;
        }

        static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        return new DialogStateRecorded(Text(dialog, "ID") ?? "", Text(dialog, "db_id"), Text(dialog, "caller_tag"),
            Text(dialog, "callee_tag"), 0, state);
    }

    private void Attach(AttachCommand attach, IActorRef requester)
    {
        if (_state.Watchers.TryGetValue(attach.CmdId, out var current) && current == attach.Operation)
        {
            requester.Tell(new DialogAttached(attach.CmdId, _state.ToView()));
            return;
        }

        var conflict = _state.ConflictWith(attach.CmdId, attach.Operation);
        if (conflict is { CmdId: { } inTheWay })
        {
            VerifyStillRunning(inTheWay, conflict.Reason, attach, requester);
            return;
        }

        if (conflict is not null)
        {
            requester.Tell(new DialogBusy(attach.CmdId, attach.CallId, conflict.Reason));
            return;
        }

        _state = _state.Apply(new DialogCommandAttached(attach.CmdId, attach.Operation));
        requester.Tell(new DialogAttached(attach.CmdId, _state.ToView()));
    }

    /// <summary>A detach is fire-and-forget and can be lost (sent while this dialog's shard was being handed off, or
    /// by a command that crashed): before calling the dialog busy, ask the command in the way whether it still runs.
    /// An ended or unknown command is detached here; if it does not answer in time the dialog stays busy.
    /// State: VerifyingConflict (other messages wait in the stash).</summary>
    private void VerifyStillRunning(string inTheWay, string reason, AttachCommand attach, IActorRef requester)
    {
        _commandRegion.Tell(new GetCommand(inTheWay));
        Timers.StartSingleTimer(VerifyTimer, new VerifyTimeout(), VerifyWithin);

        void Resume()
        {
            Timers.Cancel(VerifyTimer);
            BecomeForState();
            Stash.UnstashAll();
        }

        void DetachStaleThenRetry()
        {
            _log.Info("Dialog {0}: command {1} no longer runs; its watch is dropped", _state.CallId, inTheWay);
            _state = _state.Apply(new DialogCommandDetached(inTheWay));
            Resume();
            Attach(attach, requester);
        }

        Become(() =>
        {
            Receive<CommandSnapshot>(s => s.CmdId == inTheWay, snapshot =>
            {
                if (snapshot.Status == "running")
                {
                    requester.Tell(new DialogBusy(attach.CmdId, attach.CallId, reason));
                    Resume();
                }
                else
                {
                    DetachStaleThenRetry();
                }
            });
            Receive<CommandRejected>(r => r.CmdId == inTheWay, _ => DetachStaleThenRetry());
            Receive<VerifyTimeout>(_ =>
            {
                requester.Tell(new DialogBusy(attach.CmdId, attach.CallId, reason));
                Resume();
            });
            ReceiveAny(_ => Stash.Stash());
        });
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

    /// <summary>A Call-ID the proxy never reported, that no command watches and no query waits for, is not a call:
    /// keeping it would let any client fill a node's memory with made-up ids.</summary>
    private void PassivateIfUnknown()
    {
        if (_state.State == 0 && _state.Watchers.IsEmpty && _queriesAwaitingProxy.Count == 0)
        {
            Passivate();
        }
    }

    private void Passivate()
    {
        Context.SetReceiveTimeout(null);
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
