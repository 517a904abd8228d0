using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.Dialogs;

/// <summary>The dialog states OpenSIPS reports in E_DLG_STATE_CHANGED (<c>old_state</c>, <c>new_state</c>) and in
/// <c>dlg_list</c> (<c>state</c>), plus <see cref="Unknown"/> for "nothing heard yet". The wire carries the numbers;
/// messages keep them as <c>int</c> and code reads them through <see cref="DialogPhases"/>.</summary>
public enum DialogPhase
{
    /// <summary>This node has heard nothing of the call (new, made up, or known before a restart): ask the proxy.</summary>
    Unknown = 0,

    /// <summary>The initial INVITE was seen, no reply yet.</summary>
    Unconfirmed = 1,

    /// <summary>A provisional reply (1xx) came back: ringing.</summary>
    Early = 2,

    /// <summary>A 2xx came back, its ACK not seen yet.</summary>
    ConfirmedNotAcked = 3,

    /// <summary>Answered and ACKed: in-dialog requests (REFER, re-INVITE) may be sent.</summary>
    Confirmed = 4,

    /// <summary>Ended: failed, cancelled, BYE or timeout.</summary>
    Deleted = 5,
}

/// <summary>The numbers on the wire read as <see cref="DialogPhase"/>.</summary>
public static class DialogPhases
{
    public static DialogPhase Phase(this DialogView view) => (DialogPhase)view.State;

    public static DialogPhase NewPhase(this DialogStateChanged change) => (DialogPhase)change.NewState;

    public static DialogPhase AsPhase(this int state) => (DialogPhase)state;
}
