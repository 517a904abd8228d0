namespace CallCluster.Contracts.Events;

/// <summary>Events the webhook registry (a cluster singleton) persists: endpoints added and removed at run time.</summary>
public interface IWebhookJournalEvent : ICallClusterMessage;

/// <summary>An endpoint registered through the admin CLI. <paramref name="Events"/> empty: every event.</summary>
public sealed record WebhookRegistered(string Name, string Url, string Secret, IReadOnlyList<string> Events) : IWebhookJournalEvent;

public sealed record WebhookRemoved(string Name) : IWebhookJournalEvent;

/// <summary>An endpoint's outbox position: every call event at or before this tag offset was delivered (or
/// dead-lettered). Deliveries resume after it when the endpoint's actor starts again (another node, a restart).</summary>
public sealed record WebhookOffsetCommitted(long Offset) : IWebhookJournalEvent;

/// <summary>A delivery that used up its retry budget: kept in the endpoint's dead-letter list (callctl webhooks dead).</summary>
public sealed record WebhookDeadLettered(string DeliveryId, long Offset, string CallId, string Event, int Attempts, string LastError, long AtMs)
    : IWebhookJournalEvent;
