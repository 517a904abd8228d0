using CallCluster.Contracts.Dialogs;

namespace CallCluster.Contracts.Journal;

/// <summary>Events a dialog entity persists.</summary>
public interface IDialogJournalEvent : ICallClusterMessage;

public sealed record DialogStateRecorded(
    string DialogId,
    string? DbId,
    string? FromTag,
    string? ToTag,
    int OldState,
    int NewState) : IDialogJournalEvent;

public sealed record DialogCommandAttached(string CmdId, DialogOperation Operation = DialogOperation.Observe) : IDialogJournalEvent;

public sealed record DialogCommandDetached(string CmdId) : IDialogJournalEvent;

/// <summary>A leg's hold state changed: OpenSIPS reported the re-INVITE of a hold or unhold answered 2xx.</summary>
public sealed record DialogHoldRecorded(string Leg, bool Held) : IDialogJournalEvent;
