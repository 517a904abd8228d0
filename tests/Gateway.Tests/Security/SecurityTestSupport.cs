using System.Net.WebSockets;
using CallCluster.Contracts.Security;
using CallCluster.Hosting.Security;

namespace CallCluster.Gateway.Tests.Security;

/// <summary>A token made in the test: its secret (what a client sends) and its record (what the gateway stores).</summary>
public sealed record TestToken(string Secret, ApiToken Token)
{
    public static TestToken Make(string id, string[] scopes, string[]? domains = null, long expiresAtMs = 0, int maxInFlight = 0,
        int perSecond = 0)
    {
        var secret = TokenSecret.Generate();
        return new TestToken(secret, new ApiToken(id, TokenSecret.Hash(secret), scopes, domains ?? [], expiresAtMs, maxInFlight, perSecond));
    }

    public Action<ClientWebSocketOptions> Bearer => o => o.SetRequestHeader("Authorization", "Bearer " + Secret);
}
