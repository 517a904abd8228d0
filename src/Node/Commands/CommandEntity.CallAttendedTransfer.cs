using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.Commands;

/// <summary>CallAttendedTransfer {callid_a, leg_a, callid_b, leg_b, destination?}: RFC 5359 §2.5 attended transfer.
/// The party on leg_a of call A gets a REFER whose Refer-To replaces call B (callops recipe B, or C with an explicit
/// destination). OpenSIPS reports the transfer for A and for B; either counts. TRANSFER_ACCEPT, CALL_START, then
/// call A is ended (B is replaced by the new call) and Ended ok.
/// States, in order: <see cref="Attaching"/> (call A) → (<see cref="CheckingAnswered"/> A) → <see cref="Attaching"/>
/// (call B) → (<see cref="CheckingAnswered"/> B) → <see cref="FollowingTransfer"/> → Ended (call A's dlg_end_dlg
/// logged there).</summary>
public sealed partial class CommandEntity
{
    private void StartAttendedTransfer()
    {
        var callA = Param("callid_a");
        var resumed = _state.HasRequestedTransfer;
        BecomeAttaching(callA, DialogOperation.Transfer, dialogA =>
            RequireConfirmedUnless(resumed, dialogA, () => AttachCallB(dialogA, resumed)));
    }

    /// <summary>Call A is answered (or the transfer was already requested): the same for call B, then the REFER.</summary>
    private void AttachCallB(DialogView dialogA, bool resumed)
    {
        var callB = Param("callid_b");
        BecomeAttaching(callB, DialogOperation.Transfer, dialogB =>
            RequireConfirmedUnless(resumed, dialogB, () => RunAttendedTransfer(dialogA)));
    }

    private void RunAttendedTransfer(DialogView dialogA)
    {
        var (callA, callB) = (Param("callid_a"), Param("callid_b"));
        List<KeyValuePair<string, object>> parameters =
        [
            new("callid", callA), new("leg", Param("leg_a")),
            new("transfer_callid", callB), new("transfer_leg", Param("leg_b")),
        ];
        var destination = Param("destination");
        if (destination.Length > 0)
        {
            parameters.Add(new("destination", destination));
        }

        RunTransfer(new TransferPlan(
            callA,
            parameters,
            new HashSet<string>(StringComparer.Ordinal) { callA, callB },
            _ => EndDialogThen(dialogA.DialogId ?? callA, EndOk),
            EndFailed));
    }
}
