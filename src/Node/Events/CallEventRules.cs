using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Events;
using CallCluster.Node.Dialogs;

namespace CallCluster.Node.Events;

/// <summary>What an EVI event means for applications, as a pure function: the call events to emit for it, given the
/// dialog's state (for the causing command) and the furthest phase already emitted.
///
/// Why transitions and not the dialog's phase: OpenSIPS raises state changes from different workers, so under load a
/// 4→5 can come before the 1→2 and 2→4 of the same call (measured: a third of the calls of a 20-at-a-time burst). The
/// phase then jumps to Deleted and a phase-based rule would report an answered call as ended unanswered. Both ends of
/// a transition are facts (old_state 4 says the call was answered), so each reported transition emits, in order, every
/// phase it proves that was not emitted yet; a phase older than one already emitted is dropped rather than reported
/// out of order (a late ringing after answered tells an application nothing).</summary>
public static class CallEventRules
{
    /// <summary>A call event before its per-call seq, parties and time are filled in.</summary>
    public sealed record Emission(string Name, string? CmdId, string? Reason = null, string? Leg = null,
        string? Destination = null, string? TransferCallId = null);

    /// <summary>The emissions for <paramref name="e"/> and the furthest phase emitted after them.</summary>
    public static (IReadOnlyList<Emission> Emissions, DialogPhase Emitted) For(IEviEvent e, DialogState state, DialogPhase emitted)
    {
        switch (e)
        {
            case DialogStateChanged change:
                return ForTransition(change.OldState.AsPhase(), change.NewState.AsPhase(), state, emitted);
            case CallHoldEvent { State: "ok" } h:
                return ([new Emission(h.Action == "unhold" ? CallEventNames.Resumed : CallEventNames.Held,
                    Watcher(state, DialogOperation.Hold), Leg: h.Leg)], emitted);
            // Only the final ok: start/notify are progress, fail leaves the call as it was.
            case CallTransferEvent { State: "ok" } t:
                return ([new Emission(CallEventNames.Transferred, Watcher(state, DialogOperation.Transfer),
                    Destination: t.Destination, TransferCallId: t.TransferCallId)], emitted);
            default:
                return ([], emitted);
        }
    }

    private static (IReadOnlyList<Emission>, DialogPhase) ForTransition(DialogPhase from, DialogPhase to, DialogState state,
        DialogPhase emitted)
    {
        var emissions = new List<Emission>(2);
        var wasRinging = from == DialogPhase.Early || to == DialogPhase.Early;
        var wasAnswered = from is DialogPhase.ConfirmedNotAcked or DialogPhase.Confirmed || to is DialogPhase.ConfirmedNotAcked or DialogPhase.Confirmed;
        if (wasRinging && emitted < DialogPhase.Early)
        {
            emissions.Add(new Emission(CallEventNames.Ringing, Origin(state)));
            emitted = DialogPhase.Early;
        }

        if (wasAnswered && emitted < DialogPhase.ConfirmedNotAcked)
        {
            emissions.Add(new Emission(CallEventNames.Answered, Origin(state)));
            emitted = DialogPhase.ConfirmedNotAcked;
        }

        if (to == DialogPhase.Deleted && emitted < DialogPhase.Deleted)
        {
            // E_DLG_STATE_CHANGED does not carry the SIP status; what the states tell is whether the call was up.
            emissions.Add(new Emission(CallEventNames.Ended, Watcher(state, DialogOperation.End) ?? Origin(state),
                Reason: emitted >= DialogPhase.ConfirmedNotAcked ? "bye" : "not-answered"));
            emitted = DialogPhase.Deleted;
        }

        return (emissions, emitted);
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
