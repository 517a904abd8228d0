namespace CallCluster.Contracts.Dialogs;

/// <summary>What a command is going to do to a dialog; the dialog refuses operations that conflict.</summary>
public enum DialogOperation
{
    /// <summary>Only listens (CallStart watching its own placeholder and new calls).</summary>
    Observe = 0,
    End = 1,
    Hold = 2,
    Transfer = 3,
}

/// <summary>A command wants this dialog's events for <paramref name="Operation"/>. The dialog records it (persisted)
/// and answers <see cref="Commands.DialogAttached"/> to the sender with what it knows so far, or
/// <see cref="Commands.DialogBusy"/> when another command's operation conflicts.</summary>
public sealed record AttachCommand(string CallId, string CmdId, DialogOperation Operation = DialogOperation.Observe) : IDialogMessage;

/// <summary>The command is done with this dialog.</summary>
public sealed record DetachCommand(string CallId, string CmdId) : IDialogMessage;

/// <summary>A hold or unhold command succeeded: the leg's hold state as the command meant it. (Raw E_CALL_HOLD
/// events cannot tell: a 4.0 hold of one leg re-INVITEs both, the other one to recvonly.)</summary>
public sealed record RecordHoldState(string CallId, string Leg, bool Held) : IDialogMessage;

/// <summary>A command created this call (CallStart's new call, a transfer's new call): the dialog lists
/// <paramref name="CmdId"/> among the commands that acted on it, and keeps the parties when it knows none (OpenSIPS's
/// dialog events carry no URIs). The command does not watch the new call; this is for CallGet and CallList.</summary>
public sealed record RecordCallOrigin(string CallId, string CmdId, string? Caller, string? Callee) : IDialogMessage;

/// <summary>CallGet: answered with <see cref="DialogView"/>.</summary>
public sealed record GetDialog(string CallId) : IDialogMessage;

/// <summary>What a dialog entity knows. <paramref name="State"/> 0 = nothing heard yet, else the OpenSIPS state 1..5.
/// <paramref name="CmdIds"/> are all commands that acted on the dialog. <paramref name="Caller"/>/<paramref name="Callee"/>
/// are the parties when a command that created the call named them; <paramref name="StartedAtMs"/> is when this
/// cluster first heard of the call (Unix ms, 0 = never).</summary>
public sealed record DialogView(
    string CallId,
    string? DialogId,
    string? FromTag,
    string? ToTag,
    int State,
    IReadOnlyList<string> CmdIds,
    bool CallerHeld = false,
    bool CalleeHeld = false,
    bool TransferAttempted = false,
    string? Caller = null,
    string? Callee = null,
    long StartedAtMs = 0) : ICallClusterMessage;

/// <summary>A dialog entity whose shard is handed off sends each of its recent transfer/hold events to its own next
/// incarnation, through the dialog region (which holds messages for a moving shard until it is started again):
/// without it, an event forwarded to a command that was being handed off at the same moment is lost with both.
/// <paramref name="AgeMs"/>: how old the event was when sent; <paramref name="ForwardedTo"/>: the commands that were
/// watching when it came (empty: unclaimed).</summary>
public sealed record DialogEventHandedOver(string CallId, IEviEvent Event, long AgeMs, IReadOnlyList<string> ForwardedTo) : IDialogMessage;

/// <summary>A dialog entity whose shard is handed off tells its next incarnation which commands watch it (sent through
/// the dialog region before its <see cref="DialogEventHandedOver"/> messages). A dialog lives in memory only: without
/// this, the next incarnation starts with no watchers, and an event that reaches it (a transfer's <c>start</c>) would
/// wait unclaimed while the command, which did not move and so never attaches again, runs into its watchdog.</summary>
public sealed record DialogWatchersHandedOver(string CallId, IReadOnlyDictionary<string, DialogOperation> Watchers) : IDialogMessage;
