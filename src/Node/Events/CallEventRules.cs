using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Events;
using CallCluster.Node.Dialogs;

namespace CallCluster.Node.Events;

/// <summary>What an EVI event means for applications, as a pure function of the dialog's state before and after it:
/// the call event to emit (name, causing command, details) or null. Duplicates and late events emit nothing because
/// the rules look at phase changes, not at raw transitions: OpenSIPS sends both out of order and twice.</summary>
public static class CallEventRules
{
    /// <summary>A call event before its per-call seq, parties and time are filled in.</summary>
    public sealed record Emission(string Name, string? CmdId, string? Reason = null, string? Leg = null,
        string? Destination = null, string? TransferCallId = null);

    public static Emission? For(IEviEvent e, DialogState before, DialogState after) => e switch
    {
        DialogStateChanged => ForPhase(before, after),
        CallHoldEvent { State: "ok" } h => new Emission(h.Action == "unhold" ? CallEventNames.Resumed : CallEventNames.Held,
            Watcher(after, DialogOperation.Hold), Leg: h.Leg),
        // Only the final ok: start/notify are progress, fail leaves the call as it was.
        CallTransferEvent { State: "ok" } t => new Emission(CallEventNames.Transferred, Watcher(after, DialogOperation.Transfer),
            Destination: t.Destination, TransferCallId: t.TransferCallId),
        _ => null,
    };

    private static Emission? ForPhase(DialogState before, DialogState after)
    {
        if (after.State == before.State)
        {
            return null;
        }

        return after.State switch
        {
            DialogPhase.Early when before.State < DialogPhase.Early => new Emission(CallEventNames.Ringing, Origin(after)),
            // 3 (2xx seen) or straight to 4: answered once; a late 3→4 after 3 changes no phase name.
            DialogPhase.ConfirmedNotAcked or DialogPhase.Confirmed when before.State < DialogPhase.ConfirmedNotAcked =>
                new Emission(CallEventNames.Answered, Origin(after)),
            // E_DLG_STATE_CHANGED does not carry the SIP status; what the phases tell is whether the call was up.
            DialogPhase.Deleted => new Emission(CallEventNames.Ended, Watcher(after, DialogOperation.End) ?? Origin(after),
                Reason: before.State >= DialogPhase.ConfirmedNotAcked ? "bye" : "not-answered"),
            _ => null,
        };
    }

    /// <summary>The command that created the call (CallStart, or the transfer that made it), when one did.</summary>
    private static string? Origin(DialogState state) =>
        state.OriginCmdId ?? Watcher(state, DialogOperation.Observe);

    private static string? Watcher(DialogState state, DialogOperation operation)
    {
        foreach (var (cmdId, op) in state.Watchers)
        {
            if (op == operation)
            {
                return cmdId;
            }
        }

        return null;
    }
}
