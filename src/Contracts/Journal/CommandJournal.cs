using CallCluster.Contracts.Commands;

namespace CallCluster.Contracts.Journal;

/// <summary>Events a command entity persists: what it was asked, each step it decided, each notification it sent.
/// Replaying them rebuilds the command exactly, so it resumes after a crash and can replay to a client.</summary>
public interface ICommandJournalEvent : ICallClusterMessage;

public sealed record CommandStarted(
    string CmdId,
    string Method,
    IReadOnlyDictionary<string, string> Params,
    DateTimeOffset StartedAt) : ICommandJournalEvent;

/// <summary>A decision the flow must not repeat after recovery, e.g. "end-requested" once dlg_end_dlg was accepted.</summary>
public sealed record CommandStepRecorded(string Step, string? Value) : ICommandJournalEvent;

public sealed record NotificationRecorded(CommandNotification Notification) : ICommandJournalEvent;
