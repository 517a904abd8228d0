namespace CallCluster.Node.OpenSips;

/// <summary>Ask the <see cref="SubscriptionKeeper"/> for a <see cref="SubscriptionStatus"/>.</summary>
public sealed record GetSubscriptionStatus
{
    public static readonly GetSubscriptionStatus Instance = new();
    private GetSubscriptionStatus() { }
}

/// <summary>Per event: <paramref name="Subscribed"/> is true while the last confirmed subscribe has not expired.</summary>
public sealed record EventSubscriptionStatus(
    string Event,
    bool Subscribed,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? ExpiresAt,
    string? LastError);

public sealed record SubscriptionStatus(string Socket, bool Unsubscribing, IReadOnlyList<EventSubscriptionStatus> Events);

/// <summary>Stop refreshing and send <c>expire 0</c> for every event (e.g. on shutdown).
/// The sender gets <see cref="Unsubscribed"/> when all are answered or timed out.</summary>
public sealed record Unsubscribe
{
    public static readonly Unsubscribe Instance = new();
    private Unsubscribe() { }
}

/// <summary><paramref name="Failed"/> lists the events whose unsubscribe was not confirmed (they expire on their own).</summary>
public sealed record Unsubscribed(IReadOnlyList<string> Failed)
{
    public bool Confirmed => Failed.Count == 0;
}
