using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;

using CallCluster.Node.Persistence;

namespace CallCluster.Node.Dialogs;

/// <summary>One SIP dialog (entity id = Call-ID). It records the states OpenSIPS reports, remembers which commands
/// act on it, forwards its events to them through the command region, and passivates a while after it ended.
/// States: Tracking (alive) → Ended (deleted; still absorbs late events until the linger timer passivates it).</summary>
public sealed class DialogEntity : ReceivePersistentActor, IWithTimers
{
    private const string VerifyTimer = "verify-conflict";
    private static readonly TimeSpan VerifyWithin = TimeSpan.FromSeconds(3);

    private readonly IActorRef _commandRegion;
    private readonly DialogSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DialogState _state;

    public DialogEntity(string callId, IActorRef commandRegion, DialogSettings settings)
    {
        _commandRegion = commandRegion;
        _settings = settings;
        _state = DialogState.Empty(callId);
        PersistenceId = "dialog-" + callId;

        Recover<DialogStateRecorded>(e => _state = _state.Apply(e));
        Recover<DialogCommandAttached>(e => _state = _state.Apply(e));
        Recover<DialogCommandDetached>(e => _state = _state.Apply(e));
        Recover<DialogHoldRecorded>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => BecomeForState());
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Never snapshotted: recovery skips the snapshot store (one query and transaction less per entity start).</summary>
    public override Recovery Recovery => EntityRecovery.NoSnapshots;

    private sealed record VerifyTimeout;

    public static Props Props(string callId, IActorRef commandRegion, DialogSettings settings) =>
        Akka.Actor.Props.Create(() => new DialogEntity(callId, commandRegion, settings));

    private void BecomeForState()
    {
        if (_state.IsDeleted)
        {
            BecomeEnded();
        }
        else
        {
            Become(Tracking);
        }
    }

    private void Tracking()
    {
        CommonHandlers();
    }

    private void BecomeEnded()
    {
        Become(Ended);
        Context.SetReceiveTimeout(_settings.EndedLinger);
    }

    private void Ended()
    {
        CommonHandlers();
        Command<ReceiveTimeout>(_ =>
        {
            Context.SetReceiveTimeout(null);
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
    }

    private void CommonHandlers()
    {
        Command<DialogStateChanged>(OnStateChanged);
        Command<CallTransferEvent>(ForwardToCommands);
        Command<CallHoldEvent>(ForwardToCommands);
        Command<RecordHoldState>(OnRecordHoldState);
        Command<AttachCommand>(OnAttach);
        Command<DetachCommand>(OnDetach);
        Command<GetDialog>(_ => Sender.Tell(_state.ToView()));
    }

    private void OnStateChanged(DialogStateChanged e)
    {
        if (_state.HasSeen(e.OldState, e.NewState))
        {
            _log.Debug("Dialog {0}: duplicate state event {1}->{2} ignored", e.CallId, e.OldState, e.NewState);
            return;
        }

        Persist(new DialogStateRecorded(e.DialogId, e.DbId, e.FromTag, e.ToTag, e.OldState, e.NewState), recorded =>
        {
            _state = _state.Apply(recorded);
            ForwardToCommands(e);
            if (_state.IsDeleted)
            {
                BecomeEnded();
            }
            else
            {
                // A late 2xx can bring a deleted dialog back (5→3): it is alive again.
                Context.SetReceiveTimeout(null);
                Become(Tracking);
            }
        });
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
            Persist(new DialogHoldRecorded(record.Leg, record.Held), recorded => _state = _state.Apply(recorded));
        }
    }

    private void OnAttach(AttachCommand attach) => Attach(attach, Sender);

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

        Persist(new DialogCommandAttached(attach.CmdId, attach.Operation), e =>
        {
            _state = _state.Apply(e);
            requester.Tell(new DialogAttached(attach.CmdId, _state.ToView()));
        });
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
            Persist(new DialogCommandDetached(inTheWay), e =>
            {
                _state = _state.Apply(e);
                Resume();
                Attach(attach, requester);
            });
        }

        Become(() =>
        {
            Command<CommandSnapshot>(s => s.CmdId == inTheWay, snapshot =>
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
            Command<CommandRejected>(r => r.CmdId == inTheWay, _ => DetachStaleThenRetry());
            Command<VerifyTimeout>(_ =>
            {
                requester.Tell(new DialogBusy(attach.CmdId, attach.CallId, reason));
                Resume();
            });
            CommandAny(_ => Stash.Stash());
        });
    }

    private void OnDetach(DetachCommand detach)
    {
        if (!_state.Watchers.ContainsKey(detach.CmdId))
        {
            return;
        }

        Persist(new DialogCommandDetached(detach.CmdId), e => _state = _state.Apply(e));
    }
}
