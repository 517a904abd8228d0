using System.Collections.Immutable;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;

namespace CallCluster.Node.Dialogs;

/// <summary>The dialog's state, from what OpenSIPS reported and what commands did. Immutable: every event yields a new
/// value. Only what something reads is kept (a node holds up to 100,000 of these): not the event's db_id, say.
/// <see cref="CmdIds"/> are all commands that acted on the dialog; <see cref="Watchers"/> those still attached,
/// with the operation each is performing.</summary>
public sealed record DialogState(
    string CallId,
    string? DialogId,
    string? FromTag,
    string? ToTag,
    DialogPhase State,
    long SeenTransitions,
    ImmutableSortedSet<string> CmdIds,
    ImmutableSortedDictionary<string, DialogOperation> Watchers,
    bool CallerHeld,
    bool CalleeHeld,
    bool TransferAttempted)
{
    /// <summary>The parties, when a command that created the call named them (<see cref="RecordCallOrigin"/>).</summary>
    public string? Caller { get; init; }

    public string? Callee { get; init; }

    /// <summary>The command that created this call (<see cref="RecordCallOrigin"/>): the cause of its ringing and
    /// answered call events.</summary>
    public string? OriginCmdId { get; init; }

    /// <summary>When this node first heard of the call (Unix ms; 0 = nothing heard yet). A wall clock: CallList shows
    /// it. After a restart it is when the call was heard of again.</summary>
    public long StartedAtMs { get; init; }

    public static DialogState Empty(string callId) => new(callId, null, null, null, DialogPhase.Unknown, 0,
        ImmutableSortedSet<string>.Empty, ImmutableSortedDictionary<string, DialogOperation>.Empty, false, false, false);

    public bool IsDeleted => State == DialogPhase.Deleted;

    /// <summary>Events arrive out of order and duplicated (OpenSIPS raises them from different workers):
    /// a transition already seen is a duplicate.</summary>
    public bool HasSeen(int oldState, int newState) => (SeenTransitions & TransitionBit(oldState, newState)) != 0;

    /// <summary>Why <paramref name="operation"/> cannot start now, or null when it can; <see cref="Conflict.CmdId"/> names
    /// the command in the way, if one is. Ending and observing never conflict; hold, unhold and transfer exclude each
    /// other (OpenSIPS would answer 491 or mix the re-INVITEs), and OpenSIPS allows one transfer attempt per dialog,
    /// ever (docs/opensips.md §2).</summary>
    public Conflict? ConflictWith(string cmdId, DialogOperation operation)
    {
        if (operation is DialogOperation.Observe or DialogOperation.End)
        {
            return null;
        }

        foreach (var (otherCmd, otherOperation) in Watchers)
        {
            if (otherCmd != cmdId && otherOperation is DialogOperation.Hold or DialogOperation.Transfer)
            {
                return new Conflict(otherCmd, $"call {CallId} is busy with command {otherCmd} ({otherOperation.ToString().ToLowerInvariant()})");
            }
        }

        return operation == DialogOperation.Transfer && TransferAttempted
            ? new Conflict(null, $"call {CallId} was already transferred once; OpenSIPS allows one transfer attempt per call")
            : null;
    }

    public sealed record Conflict(string? CmdId, string Reason);

    public DialogState Apply(DialogStateRecorded e) => this with
    {
        DialogId = e.DialogId,
        FromTag = e.FromTag ?? FromTag,
        ToTag = e.ToTag ?? ToTag,
        State = NextState(State, e.NewState.AsPhase()),
        StartedAtMs = StartedAtMs != 0 ? StartedAtMs : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        SeenTransitions = SeenTransitions | TransitionBit(e.OldState, e.NewState),
    };

    public DialogState Apply(DialogCommandAttached e) => this with
    {
        CmdIds = CmdIds.Add(e.CmdId),
        Watchers = Watchers.SetItem(e.CmdId, e.Operation),
        TransferAttempted = TransferAttempted || e.Operation == DialogOperation.Transfer,
    };

    /// <summary>A command created this call: listed with the commands that acted on it, not watching it.</summary>
    public DialogState Apply(RecordCallOrigin e) => this with
    {
        CmdIds = CmdIds.Add(e.CmdId),
        Caller = Caller ?? e.Caller,
        Callee = Callee ?? e.Callee,
        OriginCmdId = OriginCmdId ?? e.CmdId,
    };

    public DialogState Apply(DialogCommandDetached e) => this with { Watchers = Watchers.Remove(e.CmdId) };

    public DialogState Apply(DialogHoldRecorded e) => e.Leg == "caller"
        ? this with { CallerHeld = e.Held }
        : this with { CalleeHeld = e.Held };

    public bool IsHeld(string leg) => leg == "caller" ? CallerHeld : CalleeHeld;

    public DialogView ToView() =>
        new(CallId, DialogId, FromTag, ToTag, (int)State, CmdIds.ToArray(), CallerHeld, CalleeHeld, TransferAttempted,
            Caller, Callee, StartedAtMs);

    /// <summary>States only move forward, so a late 2→3 after 3→4 does not regress the dialog; the one
    /// exception is OpenSIPS's own: a late 2xx takes a deleted dialog back to 3.</summary>
    private static DialogPhase NextState(DialogPhase current, DialogPhase reported) =>
        reported > current || (current == DialogPhase.Deleted && reported == DialogPhase.ConfirmedNotAcked) ? reported : current;

    /// <summary>One bit per (old, new) pair of states 0..5: 36 pairs fit a long.</summary>
    private static long TransitionBit(int oldState, int newState) =>
        1L << ((Math.Clamp(oldState, 0, 5) * 6) + Math.Clamp(newState, 0, 5));
}
