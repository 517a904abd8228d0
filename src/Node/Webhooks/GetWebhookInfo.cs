namespace CallCluster.Node.Webhooks;

/// <summary>Asks an endpoint actor for its <see cref="Contracts.Events.WebhookInfo"/> (local to the registry's node).</summary>
public sealed record GetWebhookInfo
{
    public static readonly GetWebhookInfo Instance = new();
}
