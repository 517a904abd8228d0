using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.Commands;

/// <summary>CallBlindTransfer {callid, leg, destination}: RFC 5359 §2.4 blind transfer. The party on <c>leg</c>
/// gets a REFER to <c>destination</c> (callops recipe A). TRANSFER_ACCEPT, CALL_START (the new call), then the
/// transferred call is ended (the transferor is done) and Ended ok. Failures leave the original call up.
/// States, in order: <see cref="Attaching"/> → (<see cref="CheckingAnswered"/> when the dialog's view is not
/// conclusive) → <see cref="FollowingTransfer"/> → Ended (the transferred call's dlg_end_dlg logged there).</summary>
public sealed partial class CommandEntity
{
    private void StartBlindTransfer()
    {
        var callId = Param("callid");
        BecomeAttaching(callId, DialogOperation.Transfer, dialog =>
        {
            var plan = new TransferPlan(
                callId,
                [new("callid", callId), new("leg", Param("leg")), new("destination", Param("destination"))],
                new HashSet<string>(StringComparer.Ordinal) { callId },
                _ => EndDialogThen(dialog.DialogId ?? callId, EndOk),
                EndFailed);
            if (_state.HasRequestedTransfer)
            {
                RunTransfer(plan);
            }
            else
            {
                RequireConfirmed(dialog, () => RunTransfer(plan));
            }
        });
    }
}
