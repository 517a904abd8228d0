using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using CallCluster.Contracts.Events;
using CallCluster.Contracts.Sharding;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Rest;

/// <summary>GET /v1/webhooks: each webhook endpoint's delivery status (position, in flight, pending, dead letters), asked
/// of the webhook registry singleton on the call nodes, as <c>callctl webhooks list</c> asks it. Read-only: adding and
/// removing endpoints stays an operator's job on the admin port (docs/security.md).</summary>
public sealed class WebhookStatusQuery
{
    private readonly IActorRef? _registry;
    private readonly TimeSpan _askTimeout;

    public WebhookStatusQuery(ActorSystem system, TimeSpan askTimeout)
    {
        _askTimeout = askTimeout;
        // The gateway's own proxy: a gateway-only process has no other, and the call node's is private to its palette.
        // Unnamed: a gateway restarted in the same ActorSystem must not collide with the proxy it is stopping.
        // A plain ActorSystem (a unit test) has no cluster singletons to reach.
        _registry = system is ExtendedActorSystem { Provider: ClusterActorRefProvider }
            ? system.ActorOf(ClusterSingletonProxy.Props(WebhookRegistryAddress.SingletonPath,
                ClusterSingletonProxySettings.Create(system).WithRole(ShardRegions.CallNodeRole)))
            : null;
    }

    /// <summary>Stops the proxy with the gateway.</summary>
    public void Stop(ActorSystem system)
    {
        if (_registry is not null)
        {
            system.Stop(_registry);
        }
    }

    public async Task<Outcome<WebhookListResource>> ListAsync(CancellationToken ct)
    {
        if (_registry is null)
        {
            return RpcError.Server("this gateway is not a cluster member");
        }

        try
        {
            var list = await _registry.Ask<WebhookList>(new ListWebhooks(), _askTimeout, ct).ConfigureAwait(false);
            return new WebhookListResource([.. list.Endpoints.Select(e => new WebhookResource(
                e.Name, TargetOf(e.Url), e.Events, e.Source, e.Offset, e.InFlight, e.Pending, e.DeadLetters))]);
        }
        catch (AskTimeoutException)
        {
            // No call node, or call events switched off (callcluster.events.enabled): no registry runs.
            return RpcError.Server("the webhook registry did not answer in time (no call node up, or call events are off)");
        }
    }

    /// <summary>scheme://host:port of a webhook URL, nothing of its user info, path or query (WebhookResource says why).</summary>
    public static string TargetOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host}:{uri.Port}" : "(not a URL)";
}
