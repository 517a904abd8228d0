namespace CallCluster.Contracts.Events;

/// <summary>The stable names of call events (docs/call-events.md). Clients filter on them: never rename one.</summary>
public static class CallEventNames
{
    public const string Ringing = "call.ringing";
    public const string Answered = "call.answered";
    public const string Held = "call.held";
    public const string Resumed = "call.resumed";
    public const string Transferred = "call.transferred";
    public const string Ended = "call.ended";

    public static readonly IReadOnlySet<string> All =
        new HashSet<string>(StringComparer.Ordinal) { Ringing, Answered, Held, Resumed, Transferred, Ended };

    /// <summary>The journal tag every call event is written with, read by subscriptions and webhooks.</summary>
    public const string Tag = "call-event";
}
