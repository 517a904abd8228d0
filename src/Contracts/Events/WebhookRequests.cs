namespace CallCluster.Contracts.Events;

/// <summary>Requests to the webhook registry singleton (from any node's admin palette) and its answers.</summary>
public interface IWebhookRequest : ICallClusterMessage;

public sealed record AddWebhook(string Name, string Url, string Secret, IReadOnlyList<string> Events) : IWebhookRequest;

public sealed record RemoveWebhook(string Name) : IWebhookRequest;

public sealed record ListWebhooks : IWebhookRequest;

public sealed record ListWebhookDeadLetters(string Name) : IWebhookRequest;

/// <summary>The answer to add/remove: <paramref name="Error"/> null when done.</summary>
public sealed record WebhookChanged(string Name, string? Error) : ICallClusterMessage;

/// <summary>One endpoint as listed; <paramref name="Source"/> is config or admin.</summary>
public sealed record WebhookInfo(string Name, string Url, IReadOnlyList<string> Events, string Source, long Offset, int InFlight,
    int Pending, int DeadLetters) : ICallClusterMessage;

public sealed record WebhookList(IReadOnlyList<WebhookInfo> Endpoints) : ICallClusterMessage;

public sealed record WebhookDeadLetterList(string Name, IReadOnlyList<WebhookDeadLettered> Items, string? Error) : ICallClusterMessage;

/// <summary>Where the webhook registry singleton lives (among call nodes): its manager's name under /user, so the
/// call nodes' admin palettes and the gateway's read-only status route reach the same actor.</summary>
public static class WebhookRegistryAddress
{
    public const string Name = "webhooks";

    public const string SingletonPath = "/user/" + Name;
}
