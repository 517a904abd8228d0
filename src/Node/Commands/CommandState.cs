using System.Collections.Immutable;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Journal;

namespace CallCluster.Node.Commands;

/// <summary>What the journal rebuilds of one command, as a pure immutable value: the start (method, params, time), the
/// typed step facts the flow must not repeat after a crash, and the notifications. Nothing here knows about actors:
/// <see cref="CommandEntity"/> persists events and replaces its state with <see cref="Apply"/>'s result.
///
/// Notifications have two counts. A flow <i>decides</i> a notification at once (<see cref="Decide"/>: it is in
/// <see cref="Notifications"/> and counted by <see cref="EmittedCount"/>, so a duplicate proxy event never emits it
/// twice); it becomes <i>durable</i> when its journal write completes (<see cref="NotificationStored"/>). Clients only
/// ever see the durable ones (<see cref="Durable"/>, <see cref="IsEnded"/>, <see cref="Status"/>). On replay every
/// notification is durable by definition (<see cref="Apply"/>).</summary>
public sealed record CommandState
{
    public const string StatusRunning = "running";

    /// <summary>Legacy step names (<see cref="CommandStepRecorded"/>), read only from old journals.</summary>
    internal const string LegacyPlaceholderStep = "placeholder-callid";
    internal const string LegacyInviteSentStep = "invite-sent";
    internal const string LegacyTransferSentStep = "transfer-sent";
    internal const string LegacyHoldSentStep = "hold-sent";

    public static readonly CommandState Empty = new();

    /// <summary>The accepted command; null until <see cref="CommandStarted"/> is applied.</summary>
    public CommandStarted? Start { get; private init; }

    /// <summary>CallStart: the placeholder call's Call-ID, once chosen.</summary>
    public string? PlaceholderCallId { get; private init; }

    /// <summary>CallStart: the INVITE to the caller may have left (it goes out right after this is stored).</summary>
    public bool HasRequestedInvite { get; private init; }

    /// <summary>The <c>call_transfer</c> may have left: never send it again (a second REFER gets 491).</summary>
    public bool HasRequestedTransfer { get; private init; }

    /// <summary>The dialog whose leg got the REFER, when <see cref="HasRequestedTransfer"/>.</summary>
    public string? TransferredCallId { get; private init; }

    /// <summary>The <c>call_hold</c>/<c>call_unhold</c> may have left: a resumed command only listens.</summary>
    public bool HasRequestedHold { get; private init; }

    /// <summary>Every notification decided, in seq order; the first <see cref="DurableCount"/> are stored.</summary>
    public ImmutableList<CommandNotification> Notifications { get; private init; } = [];

    /// <summary>How many of <see cref="Notifications"/> are stored (and so visible to clients).</summary>
    public int DurableCount { get; private init; }

    /// <summary>The seq the next notification gets.</summary>
    public int NextSeq { get; private init; } = 1;

    public bool IsStarted => Start is not null;

    public string Method => Start?.Method ?? "";

    /// <summary>Ended as clients can see it: the Ended notification is stored.</summary>
    public bool IsEnded => DurableCount > 0 && Notifications[DurableCount - 1].Kind == NotificationKind.Ended;

    /// <summary>An Ended is decided (maybe not stored yet): the flow is over.</summary>
    public bool IsEndDecided => Notifications.Count > 0 && Notifications[^1].Kind == NotificationKind.Ended;

    /// <summary>"running" until the Ended notification is stored, then its status.</summary>
    public string Status => IsEnded ? Notifications[DurableCount - 1].Status ?? CommandNotification.StatusFailed : StatusRunning;

    /// <summary>The notifications clients may see: the stored ones.</summary>
    public IEnumerable<CommandNotification> Durable => Notifications.Take(DurableCount);

    /// <summary>A parameter of the start, "" when absent.</summary>
    public string Param(string name) => Start is not null && Start.Params.TryGetValue(name, out var value) ? value : "";

    /// <summary>How many events with <paramref name="code"/> were decided (stored or not).</summary>
    public int EmittedCount(string code) =>
        Notifications.Count(n => n.Kind == NotificationKind.Event && n.Data == code);

    /// <summary>The Call-ID of the call a transfer started (its CALL_START), if any.</summary>
    public string? NewCallId =>
        Notifications.LastOrDefault(n => n.Kind == NotificationKind.Event && n.Data == EventCodes.CallStart)?.CallId;

    /// <summary>The legs a hold flow already reported with <paramref name="code"/> (a resumed command's memory).</summary>
    public IEnumerable<string> LegsReported(string code) =>
        Notifications.Where(n => n.Data == code && n.Leg is not null).Select(n => n.Leg!);

    /// <summary>Whether <paramref name="method"/> and <paramref name="parameters"/> repeat this command's start exactly.</summary>
    public bool SameStart(string method, IReadOnlyDictionary<string, string> parameters) =>
        Start is not null && method == Start.Method
                          && parameters.Count == Start.Params.Count
                          && parameters.All(kv => Start.Params.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>The state after a stored (or replayed) journal event, legacy ones included.</summary>
    public CommandState Apply(ICommandJournalEvent stored) => stored switch
    {
        CommandStarted started => this with { Start = started },
        CallStartPrepared prepared => this with { PlaceholderCallId = prepared.PlaceholderCallId, HasRequestedInvite = true },
        TransferRequested transfer => this with { HasRequestedTransfer = true, TransferredCallId = transfer.TransferredCallId },
        HoldRequested _ => this with { HasRequestedHold = true },
        NotificationRecorded recorded => Replayed(recorded.Notification),
        CommandStepRecorded step => ApplyLegacy(step),
        _ => this,
    };

    /// <summary>A notification decided by the flow: counted at once, visible to clients once stored.</summary>
    public CommandState Decide(CommandNotification notification) =>
        this with { Notifications = Notifications.Add(notification), NextSeq = Math.Max(NextSeq, notification.Seq + 1) };

    /// <summary>The oldest decided-but-unstored notification is now stored (journal writes complete in order).</summary>
    public CommandState NotificationStored() =>
        DurableCount < Notifications.Count
            ? this with { DurableCount = DurableCount + 1 }
            : throw new InvalidOperationException("no notification is waiting to be stored");

    /// <summary>A replayed notification is stored by definition.</summary>
    private CommandState Replayed(CommandNotification notification)
    {
        var notifications = Notifications.Add(notification);
        return this with
        {
            Notifications = notifications,
            DurableCount = notifications.Count,
            NextSeq = Math.Max(NextSeq, notification.Seq + 1),
        };
    }

    private CommandState ApplyLegacy(CommandStepRecorded step) => step.Step switch
    {
        LegacyPlaceholderStep => this with { PlaceholderCallId = step.Value },
        LegacyInviteSentStep => this with { HasRequestedInvite = true },
        LegacyTransferSentStep => this with { HasRequestedTransfer = true, TransferredCallId = step.Value },
        LegacyHoldSentStep => this with { HasRequestedHold = true },
        _ => this,
    };
}
