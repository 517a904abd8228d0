using System.Collections.Immutable;
using CallCluster.Contracts.Events;

namespace CallCluster.Node.Webhooks;

/// <summary>What an endpoint's journal holds, rebuilt by replaying it: how far the event log was delivered
/// (<see cref="Offset"/>; -1 before the first commit) and the newest dead letters (at most <see cref="Kept"/>).</summary>
public sealed record WebhookOutbox(long Offset, ImmutableList<WebhookDeadLettered> DeadLetters, int Kept)
{
    public static WebhookOutbox Empty(int kept) => new(-1, ImmutableList<WebhookDeadLettered>.Empty, kept);

    public bool Started => Offset >= 0;

    public WebhookOutbox Apply(WebhookOffsetCommitted e) => this with { Offset = Math.Max(Offset, e.Offset) };

    public WebhookOutbox Apply(WebhookDeadLettered e) => this with
    {
        DeadLetters = DeadLetters.Count >= Kept ? DeadLetters.RemoveAt(0).Add(e) : DeadLetters.Add(e),
    };
}
