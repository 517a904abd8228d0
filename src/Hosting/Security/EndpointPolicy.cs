namespace CallCluster.Hosting.Security;

/// <summary>How one endpoint admits clients that present no token (docs/security.md, "The compat endpoint"). Tokens
/// are always accepted; <see cref="Allow"/> additionally admits connections from these source networks with the
/// fixed <see cref="Scopes"/> and <see cref="Domains"/>, for clients that cannot send a header or a query string.</summary>
/// <param name="Allow">Source networks admitted without a token; empty: tokens only.</param>
public sealed record EndpointPolicy(IReadOnlyList<System.Net.IPNetwork> Allow, IReadOnlyList<string> Scopes, IReadOnlyList<string> Domains)
{
    public static EndpointPolicy TokensOnly { get; } = new([], [], []);

    /// <summary>The compat endpoint's default: the original client on the same host keeps working unchanged.</summary>
    public static EndpointPolicy LoopbackCalls { get; } = new(
        [System.Net.IPNetwork.Parse("127.0.0.0/8"), System.Net.IPNetwork.Parse("::1/128")], Security.Scopes.Calls, []);

    public bool Admits(System.Net.IPAddress? remote)
    {
        if (remote is null || Allow.Count == 0) return false;
        var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return Allow.Any(n => n.Contains(address));
    }

    /// <summary>Endpoint metadata: the policy of the endpoint it is attached to (the authentication handler reads it).</summary>
    public sealed record Metadata(EndpointPolicy Policy, string Name);
}
