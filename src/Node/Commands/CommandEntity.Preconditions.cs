using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>Transfer and hold need an answered call (callops sends in-dialog requests; docs/opensips.md §2, §3). What the dialog
/// entity knows decides, except that a "not answered yet" view may only mean the 3→4 event was lost: then the
/// proxy is asked (<c>dlg_list</c>) before refusing. State 0 means this cluster has heard nothing of the call yet
/// (e.g. it started before the node): the proxy decides.
/// State: <see cref="CheckingAnswered"/> (only when the dialog's view is not conclusive) → the flow's next state.</summary>
public sealed partial class CommandEntity
{
    private const string StateCheckTag = "state-check";

    /// <summary>Asking the proxy whether <paramref name="CallId"/> is answered; <paramref name="Proceed"/> when it is.</summary>
    private sealed record AnswerCheck(string CallId, Action Proceed);

    private void RequireConfirmed(DialogView dialog, Action proceed)
    {
        switch (dialog.Phase())
        {
            case DialogPhase.Deleted:
                EndFailed(ErrorCodes.CallUnknown, $"call {dialog.CallId} has already ended");
                return;
            case > DialogPhase.Unknown and < DialogPhase.Confirmed:
                SendMi(new MiCall("dlg_list", [new("callid", dialog.CallId)], Tag: StateCheckTag));
                var check = new AnswerCheck(dialog.CallId, proceed);
                Become(() => CheckingAnswered(check));
                return;
            default:
                proceed();
                return;
        }
    }

    /// <summary>A resumed command already passed the check before it sent its request.</summary>
    private void RequireConfirmedUnless(bool resumed, DialogView dialog, Action proceed)
    {
        if (resumed)
        {
            proceed();
        }
        else
        {
            RequireConfirmed(dialog, proceed);
        }
    }

    private void CheckingAnswered(AnswerCheck check)
    {
        CommonHandlers();
        // Each way out hands the events that waited here to the state that follows (or to Ended, which drops them).
        Command<MiSuccess>(r => Equals(r.Tag, StateCheckTag), r =>
        {
            var state = DlgListState(r);
            if (state == DialogPhase.Confirmed)
            {
                check.Proceed();
            }
            else
            {
                EndFailed(ErrorCodes.CallBusy, $"call {check.CallId} is not answered yet (dialog state {(int)state})");
            }

            Stash.UnstashAll();
        });
        Command<MiFailure>(r => Equals(r.Tag, StateCheckTag) && r.Code == 404, _ =>
        {
            EndFailed(ErrorCodes.CallUnknown, $"call {check.CallId} is unknown to the SIP proxy or already ended");
            Stash.UnstashAll();
        });
        Command<MiOutcome>(r => Equals(r.Tag, StateCheckTag), o =>
        {
            EndFailed(ErrorCodes.ProxyUnavailable, "the SIP proxy did not say whether the call is answered: " + Describe(o));
            Stash.UnstashAll();
        });
        Command<DialogEventNotice>(_ => Stash.Stash());
        Command<MiOutcome>(late => _log.Debug("Command {cmd_id}: late {mi_method} reply ignored", CmdId, late.Method));
    }
}
