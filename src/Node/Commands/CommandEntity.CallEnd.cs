using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>CallEnd {callid}: <c>dlg_end_dlg</c>, then wait until OpenSIPS reports the dialog deleted (state 5).
/// "OK" from dlg_end_dlg only means the BYEs were sent (docs/opensips.md §4).
/// States, in order:
/// <see cref="Attaching"/> → <see cref="AwaitingEndReply"/> → <see cref="AwaitingDeleted"/>
/// (→ <see cref="VerifyingWithDlgList"/> if the event never comes) → CALL_END + Ended ok in one write.
/// Resumed after a crash it simply sends dlg_end_dlg again: a 404 then means the first one ended the call.</summary>
public sealed partial class CommandEntity
{
    private const string EndConfirmTimer = "end-confirm";

    private sealed record EndConfirmTimeout;

    /// <summary>The dlg_end_dlg sent for <paramref name="CallId"/>; whether its state-5 event overtook the reply.</summary>
    private sealed record EndRequest(string CallId, bool Resumed, bool DeletedSeen = false);

    private void StartCallEnd(bool resumed)
    {
        var callId = Param("callid");
        BecomeAttaching(callId, DialogOperation.End, dialog =>
        {
            if (resumed && dialog.Phase() == DialogPhase.Deleted)
            {
                CompleteCallEnd(callId);
                return;
            }

            // The dialog ID is exact; a Call-ID lookup takes the first match in the hash bucket (docs/opensips.md §5).
            var target = dialog.DialogId is not null && dialog.Phase() is > DialogPhase.Unknown and < DialogPhase.Deleted
                ? dialog.DialogId
                : callId;
            SendMi(new MiCall("dlg_end_dlg", [new("dialog_id", target)]));
            var request = new EndRequest(callId, resumed);
            Become(() => AwaitingEndReply(request));
        });
    }

    /// <summary>dlg_end_dlg is out; its reply says whether the BYEs went. The state-5 event may come first.</summary>
    private void AwaitingEndReply(EndRequest request)
    {
        CommonHandlers();
        Command<DialogEventNotice>(n =>
        {
            if (IsDeleted(n) && !request.DeletedSeen)
            {
                var seen = request with { DeletedSeen = true };
                Become(() => AwaitingEndReply(seen));
            }
        });
        Command<MiSuccess>(r => r.Method == "dlg_end_dlg", _ =>
        {
            if (request.DeletedSeen)
            {
                CompleteCallEnd(request.CallId);
            }
            else
            {
                Timers.StartSingleTimer(EndConfirmTimer, new EndConfirmTimeout(), _settings.EndConfirmTimeout);
                Become(() => AwaitingDeleted(request.CallId));
            }
        });
        Command<MiFailure>(r => r.Method == "dlg_end_dlg", f =>
        {
            if ((request.Resumed || f.Attempts > 1) && f.Code == 404)
            {
                // A previous incarnation's dlg_end_dlg, or an earlier attempt of this one whose reply was lost (the MI pool
                // retries it), may have ended the call.
                CompleteCallEnd(request.CallId);
            }
            else
            {
                FailFromMi(f);
            }
        });
        Command<MiTimeout>(t => t.Method == "dlg_end_dlg", t =>
            EndFailed(ErrorCodes.ProxyUnavailable, $"the SIP proxy did not answer dlg_end_dlg within {t.After.TotalSeconds:0.#}s"));
        Command<MiOverloaded>(_ => EndFailed(ErrorCodes.Overloaded, "too many requests in flight to the SIP proxy"));
    }

    /// <summary>The BYEs went; the dialog's state-5 event ends the command (the end-confirm timer runs).</summary>
    private void AwaitingDeleted(string callId)
    {
        CommonHandlers();
        Command<DialogEventNotice>(n =>
        {
            if (IsDeleted(n))
            {
                CompleteCallEnd(callId);
            }
        });
        Command<EndConfirmTimeout>(_ =>
        {
            SendMi(new MiCall("dlg_list", [new("callid", callId)]));
            Become(() => VerifyingWithDlgList(callId));
        });
        Command<MiOutcome>(late => _log.Debug("Command {cmd_id}: late {mi_method} reply ignored", CmdId, late.Method));
    }

    /// <summary>The state-5 event is a UDP datagram and can be lost: the proxy is asked whether the dialog still exists.</summary>
    private void VerifyingWithDlgList(string callId)
    {
        CommonHandlers();
        Command<DialogEventNotice>(n =>
        {
            if (IsDeleted(n))
            {
                CompleteCallEnd(callId);
            }
        });
        Command<MiFailure>(f => f.Method == "dlg_list" && f.Code == 404, _ => CompleteCallEnd(callId));
        Command<MiSuccess>(r => r.Method == "dlg_list", r =>
        {
            var state = DlgListState(r);
            if (state == DialogPhase.Deleted)
            {
                CompleteCallEnd(callId);
            }
            else
            {
                EndFailed(ErrorCodes.ProxyUnavailable,
                    $"the SIP proxy accepted dlg_end_dlg but still reports the call in state {(int)state}");
            }
        });
        Command<MiOutcome>(o => o.Method == "dlg_list", o => EndFailed(ErrorCodes.ProxyUnavailable,
            "the SIP proxy did not confirm the end of the call: " + Describe(o)));
        Command<MiOutcome>(late => _log.Debug("Command {cmd_id}: late {mi_method} reply ignored", CmdId, late.Method));
    }

    private void CompleteCallEnd(string callId)
    {
        Timers.Cancel(EndConfirmTimer);
        EmitEventThenEndOk(EventCodes.CallEnd, callId: callId);
    }

    private void FailFromMi(MiFailure failure)
    {
        if (failure.Code == 404)
        {
            EndFailed(ErrorCodes.CallUnknown, $"the call is unknown to the SIP proxy or already ended ({failure.Code} {failure.Message})");
        }
        else
        {
            EndFailed(ErrorCodes.ServerError, $"the SIP proxy refused {failure.Method}: {failure.Code} {failure.Message}");
        }
    }
}
