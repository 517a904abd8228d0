using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>The transfer phase shared by CallStart, CallBlindTransfer and CallAttendedTransfer: send
/// <c>call_transfer</c> once, then follow E_CALL_TRANSFER (docs/opensips.md §2, §7).
/// "Accepted" only means the REFER was handed to tm; <c>start</c> comes when the transferee's new INVITE reaches
/// the proxy, <c>ok</c>/<c>fail</c> with its final answer. A rejected or ignored REFER raises nothing, hence the
/// start watchdog. Events arrive in any order (start after ok, start before the MI reply) and duplicated: the
/// notifications already emitted are the memory, so each is sent once and in protocol order.
/// States, in order: (<see cref="TransferRequested"/> stored, call_transfer sent) → <see cref="FollowingTransfer"/> →
/// the plan's OnOk or OnFailed (the calling flow's ending).</summary>
public sealed partial class CommandEntity
{
    private const string TransferTag = "transfer";
    private const string TransferStartTimer = "transfer-start";
    private const string TransferAnswerTimer = "transfer-answer";
    private const string NewCallCheckTag = "new-call-check";
    private const string TransferReattachTimer = "transfer-reattach";

    private sealed record TransferStartTimeout;

    private sealed record TransferReattach;

    private sealed record TransferAnswerTimeout;

    /// <param name="transferredCallId">Dialog A, the one whose leg gets the REFER.</param>
    /// <param name="eventCallIds">Call-IDs whose E_CALL_TRANSFER events count (attended: A and B both report).</param>
    private sealed record TransferPlan(
        string TransferredCallId,
        IReadOnlyList<KeyValuePair<string, object>> Params,
        IReadOnlySet<string> EventCallIds,
        Action<CallTransferEvent> OnOk,
        Action<int, string> OnFailed);

    private void RunTransfer(TransferPlan plan)
    {
        if (_state.HasRequestedTransfer)
        {
            // Resumed: call_transfer is not idempotent (a second one gets 491), so only listen; and if the new
            // call had started, its final answer may have been reported while no node listened: ask the proxy.
            // Whether the previous incarnation's REFER left at all is unknown (it may have stopped, or its journal
            // failed, between storing the fact and sending it), which decides the code if no transfer starts.
            _referFateUnknown = _state.EmittedCount(EventCodes.TransferAccept) == 0;
            BecomeFollowingTransfer(plan);
            CheckNewCall();
            return;
        }

        PersistFact(new TransferRequested(plan.TransferredCallId), () =>
        {
            SendMi(new MiCall("call_transfer", plan.Params, Tag: TransferTag));
            BecomeFollowingTransfer(plan);
        });
    }

    private void BecomeFollowingTransfer(TransferPlan plan)
    {
        if (_state.EmittedCount(EventCodes.CallStart) == 0)
        {
            Timers.StartSingleTimer(TransferStartTimer, new TransferStartTimeout(), _settings.TransferStartTimeout);
            // Half-way to the watchdog, attach again: if the dialog's node died, its new incarnation holds the start
            // unclaimed (a node leaving hands its watchers over instead), and the replay arrives before the watchdog.
            Timers.StartSingleTimer(TransferReattachTimer, new TransferReattach(), _settings.TransferStartTimeout / 2);
        }
        else
        {
            Timers.StartSingleTimer(TransferAnswerTimer, new TransferAnswerTimeout(), _settings.TransferAnswerTimeout);
        }

        StartTransferAnswerWatch();
        Become(() => FollowingTransfer(plan));
    }

    /// <summary>call_transfer is out: its reply (TRANSFER_ACCEPT), then E_CALL_TRANSFER start (CALL_START), notify
    /// (TRANSFER_PROGRESS) and ok/fail, in whatever order they come. Which timer runs says which of start or the
    /// final answer is awaited; the notifications already decided say what was already reported.</summary>
    private void FollowingTransfer(TransferPlan plan)
    {
        CommonHandlers();
        TransferWatchHandlers(plan);
        ReattachAnswerHandlers();
        Command<TransferReattach>(_ =>
        {
            if (_state.EmittedCount(EventCodes.CallStart) == 0)
            {
                ReattachToDialogs(plan.EventCallIds);
            }
        });
        Command<MiSuccess>(r => Equals(r.Tag, TransferTag), _ => EnsureTransferAccepted());
        Command<MiFailure>(r => Equals(r.Tag, TransferTag), f => FailTransfer(plan, TransferErrorCode(f),
            $"the SIP proxy refused the transfer: {f.Code} {f.Message}"));
        Command<MiTimeout>(t => Equals(t.Tag, TransferTag), t => FailTransfer(plan, ErrorCodes.ProxyUnavailable,
            $"the SIP proxy did not answer call_transfer within {t.After.TotalSeconds:0.#}s"));
        Command<MiOverloaded>(r => Equals(r.Tag, TransferTag), _ =>
            FailTransfer(plan, ErrorCodes.Overloaded, "too many requests in flight to the SIP proxy"));
        Command<DialogEventNotice>(n => n.Event is CallTransferEvent t && plan.EventCallIds.Contains(t.CallId), n =>
        {
            var e = (CallTransferEvent)n.Event;
            switch (e.State)
            {
                case "start":
                    EnsureTransferStarted(e);
                    break;
                case "notify":
                    EmitEvent(EventCodes.TransferProgress, callId: e.TransferCallId, sipStatus: e.Status);
                    break;
                case "ok":
                    EnsureTransferStarted(e);
                    Timers.Cancel(TransferAnswerTimer);
                    Timers.Cancel(TransferAnswerWatchTimer);
                    plan.OnOk(e);
                    break;
                case "fail":
                    EnsureTransferStarted(e);
                    FailTransfer(plan, ErrorCodes.ServerError, "the transfer target did not take the call: " + FinalStatus(e.Status));
                    break;
                default:
                    _log.Warning("Command {cmd_id}: unknown E_CALL_TRANSFER state '{transfer_state}' ignored", CmdId, e.State);
                    break;
            }
        });
        Command<DialogEventNotice>(n => n.Event is DialogStateChanged { NewState: (int)DialogPhase.Deleted } d
                                        && d.CallId == plan.TransferredCallId && _state.EmittedCount(EventCodes.CallStart) == 0,
            _ => FailTransfer(plan, ErrorCodes.CallUnknown, $"call {plan.TransferredCallId} ended before the transfer started"));
        Command<DialogEventNotice>(_ => { });
        Command<TransferStartTimeout>(_ => CheckTransferredCall(plan));
        Command<TransferAnswerTimeout>(_ =>
        {
            if (!CheckNewCall())
            {
                FailTransfer(plan, ErrorCodes.ProxyUnavailable, "the transfer target's answer was not reported");
            }
        });
        // The new call confirmed (state 4) means the target answered: the ok event was lost.
        Command<MiSuccess>(r => Equals(r.Tag, NewCallCheckTag), r =>
        {
            var state = DlgListState(r);
            if (state == DialogPhase.Confirmed)
            {
                Timers.Cancel(TransferAnswerTimer);
                Timers.Cancel(TransferAnswerWatchTimer);
                plan.OnOk(new CallTransferEvent(plan.TransferredCallId, null, _state.NewCallId, null, "ok", null));
            }
            else if (!Timers.IsTimerActive(TransferAnswerTimer))
            {
                FailTransfer(plan, ErrorCodes.ProxyUnavailable,
                    $"the transfer target's answer was not reported within {_settings.TransferAnswerTimeout.TotalSeconds:0.#}s (new call in state {(int)state})");
            }
        });
        Command<MiOutcome>(r => Equals(r.Tag, NewCallCheckTag) && !Timers.IsTimerActive(TransferAnswerTimer), o =>
            FailTransfer(plan, ErrorCodes.ProxyUnavailable, "the transfer target's answer was not reported: " + Describe(o)));
        Command<MiOutcome>(late => _log.Debug("Command {cmd_id}: late {mi_method} reply ignored", CmdId, late.Method));
    }

    private void FailTransfer(TransferPlan plan, int code, string message)
    {
        Timers.Cancel(TransferStartTimer);
        Timers.Cancel(TransferReattachTimer);
        Timers.Cancel(TransferAnswerTimer);
        Timers.Cancel(TransferAnswerWatchTimer);
        plan.OnFailed(code, message);
    }

    /// <summary>Asks the proxy for the state of the transferred-to call, when one was started; false when none was.</summary>
    private bool CheckNewCall()
    {
        var newCall = _state.NewCallId;
        if (newCall is null)
        {
            return false;
        }

        SendMi(new MiCall("dlg_list", [new("callid", newCall)], Tag: NewCallCheckTag));
        return true;
    }

    /// <summary>TRANSFER_ACCEPT once, even when a <c>start</c> overtook the MI reply.</summary>
    private void EnsureTransferAccepted()
    {
        if (_state.EmittedCount(EventCodes.TransferAccept) == 0)
        {
            EmitEvent(EventCodes.TransferAccept);
        }
    }

    /// <summary>CALL_START once. The blind <c>start</c> carries the new Call-ID in <c>leg</c> (an OpenSIPS bug), so
    /// the new call is read from <c>transfer_callid</c> only.</summary>
    private void EnsureTransferStarted(CallTransferEvent e)
    {
        EnsureTransferAccepted();
        if (_state.EmittedCount(EventCodes.CallStart) > 0)
        {
            return;
        }

        Timers.Cancel(TransferStartTimer);
        Timers.Cancel(TransferReattachTimer);
        Timers.StartSingleTimer(TransferAnswerTimer, new TransferAnswerTimeout(), _settings.TransferAnswerTimeout);
        EmitEvent(EventCodes.CallStart, callId: e.TransferCallId, destination: NullIfEmpty(e.Destination));
        RecordOrigin(e);
    }

    /// <summary>The transfer created a call this command never attaches to: tell its dialog, so that CallGet lists this
    /// command among those that acted on it and CallList shows its parties (the dialog's events carry no URIs).</summary>
    private void RecordOrigin(CallTransferEvent e)
    {
        if (string.IsNullOrEmpty(e.TransferCallId))
        {
            return;
        }

        var (caller, callee) = _state.Method switch
        {
            CommandMethods.CallStart => (Param("caller"), Param("callee")),
            CommandMethods.CallBlindTransfer => ((string?)null, NullIfEmpty(e.Destination) ?? Param("destination")),
            _ => (null, NullIfEmpty(e.Destination)),
        };
        _dialogRegion.Tell(new RecordCallOrigin(e.TransferCallId, CmdId, caller, callee));
    }

    private static int TransferErrorCode(MiFailure failure) => failure.Code switch
    {
        404 => ErrorCodes.CallUnknown,
        491 => ErrorCodes.CallBusy, // any earlier transfer attempt on the dialog blocks later ones
        _ => ErrorCodes.ServerError,
    };

    private static string FinalStatus(string? sipStatus) => string.IsNullOrEmpty(sipStatus) ? "no final answer reported" : sipStatus;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
