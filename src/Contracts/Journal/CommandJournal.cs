using CallCluster.Contracts.Commands;

namespace CallCluster.Contracts.Journal;

/// <summary>Events a command entity persists: what it was asked, each step it decided, each notification it sent.
/// Replaying them rebuilds the command exactly, so it resumes after a crash and can replay to a client.</summary>
public interface ICommandJournalEvent : ICallClusterMessage;

public sealed record CommandStarted(
    string CmdId,
    string Method,
    IReadOnlyDictionary<string, string> Params,
    DateTimeOffset StartedAt) : ICommandJournalEvent
{
    /// <summary>The W3C <c>traceparent</c> of the command's first span, when it was traced: an incarnation that resumes
    /// the command links its own span to it, so the trace of a command that moved or recovered can be found from the
    /// first (docs/tracing.md). Optional: events stored without it read as null. Not part of the command's identity.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>Legacy (journals written before the typed steps below): a named step and its value. Still applied on replay
/// ("placeholder-callid", "invite-sent", "transfer-sent", "hold-sent"), never written any more.</summary>
public sealed record CommandStepRecorded(string Step, string? Value) : ICommandJournalEvent;

/// <summary>CallStart: the placeholder call's Call-ID is chosen and the INVITE to the caller goes out next. Stored with
/// <see cref="CommandStarted"/> in one write; after a crash the INVITE may or may not have left.</summary>
public sealed record CallStartPrepared(string PlaceholderCallId) : ICommandJournalEvent;

/// <summary>Transfers (and CallStart's transfer phase): <c>call_transfer</c> of <paramref name="TransferredCallId"/>
/// goes out next. It is not idempotent, so a resumed command only listens.</summary>
public sealed record TransferRequested(string TransferredCallId) : ICommandJournalEvent;

/// <summary>CallHold/CallUnHold: the <c>call_hold</c>/<c>call_unhold</c> request goes out next (re-INVITEs are not
/// idempotent), so a resumed command only listens.</summary>
public sealed record HoldRequested : ICommandJournalEvent;

public sealed record NotificationRecorded(CommandNotification Notification) : ICommandJournalEvent;
