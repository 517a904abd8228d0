using CallCluster.EndToEnd.Tests.Support;
using CallCluster.Hosting.Security;

namespace CallCluster.Console.Tests.Support;

/// <summary>The embedded node with API tokens configured (so every client needs one, loopback or not) and a webhook
/// whose URL carries a secret in its path and query, shared by the tests of one class.</summary>
public sealed class SecuredNodeFixture : IAsyncLifetime
{
    /// <summary>What an operator's console gets: read the views, run commands.</summary>
    public string OperatorToken { get; } = TokenSecret.Generate();

    /// <summary>A token that may run commands but not read: the views must refuse it.</summary>
    public string ControlOnlyToken { get; } = TokenSecret.Generate();

    /// <summary>The part of the webhook URL that is the receiver's own secret (nobody listens there: deliveries only retry).</summary>
    public const string WebhookUrlSecret = "receiver-secret-7f3a";

    public int WebhookPort { get; } = FreePort.Tcp();

    public EmbeddedNode Node { get; private set; } = null!;

    public Uri HttpEndpoint => Node.Host.Gateway!.HttpEndpoint;

    public async Task InitializeAsync() => Node = await EmbeddedNode.StartAsync($$"""
        callcluster.gateway.port = {{FreePort.Tcp()}}
        callcluster.security.tokens = [
          { id = operator, sha256 = "{{TokenSecret.Hash(OperatorToken)}}", scopes = ["calls:read", "calls:control"] }
          { id = controller, sha256 = "{{TokenSecret.Hash(ControlOnlyToken)}}", scopes = ["calls:control"] }
        ]
        callcluster.webhooks.url = "http://127.0.0.1:{{WebhookPort}}/hooks/{{WebhookUrlSecret}}?key={{WebhookUrlSecret}}"
        callcluster.webhooks.secret = "signing-secret"
        """);

    public async Task DisposeAsync() => await Node.DisposeAsync();
}
