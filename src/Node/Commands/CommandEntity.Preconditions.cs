using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>Transfer and hold need an answered call (callops sends in-dialog requests; §3.2, §3.3). What the dialog
/// entity knows decides, except that a "not answered yet" view may only mean the 3→4 event was lost: then the
/// proxy is asked (<c>dlg_list</c>) before refusing. State 0 means this cluster has heard nothing of the call yet
/// (e.g. it started before the node): the proxy decides.</summary>
public sealed partial class CommandEntity
{
    private const string StateCheckTag = "state-check";

    private void RequireConfirmed(DialogView dialog, Action proceed)
    {
        switch (dialog.Phase())
        {
            case DialogPhase.Deleted:
                EndFailed(ErrorCodes.CallUnknown, $"call {dialog.CallId} has already ended");
                return;
            case > DialogPhase.Unknown and < DialogPhase.Confirmed:
                VerifyConfirmedWithProxy(dialog.CallId, proceed);
                return;
            default:
                proceed();
                return;
        }
    }

    private void VerifyConfirmedWithProxy(string callId, Action proceed)
    {
        _miPool.Tell(new MiCall("dlg_list", [new("callid", callId)], Tag: StateCheckTag));
        Become(() =>
        {
            CommonHandlers();
            // Each way out hands the events that waited here to the state that follows (or to Ended, which drops them).
            Command<MiSuccess>(r => Equals(r.Tag, StateCheckTag), r =>
            {
                var state = DlgListState(r);
                if (state == DialogPhase.Confirmed)
                {
                    proceed();
                }
                else
                {
                    EndFailed(ErrorCodes.CallBusy, $"call {callId} is not answered yet (dialog state {(int)state})");
                }

                Stash.UnstashAll();
            });
            Command<MiFailure>(r => Equals(r.Tag, StateCheckTag) && r.Code == 404, _ =>
            {
                EndFailed(ErrorCodes.CallUnknown, $"call {callId} is unknown to the SIP proxy or already ended");
                Stash.UnstashAll();
            });
            Command<MiOutcome>(r => Equals(r.Tag, StateCheckTag), o =>
            {
                EndFailed(ErrorCodes.ProxyUnavailable, "the SIP proxy did not say whether the call is answered: " + Describe(o));
                Stash.UnstashAll();
            });
            Command<DialogEventNotice>(_ => Stash.Stash());
            Command<MiOutcome>(late => _log.Debug("Command {0}: late {1} reply ignored", CmdId, late.Method));
        });
    }
}
