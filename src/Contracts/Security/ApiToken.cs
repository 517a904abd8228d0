namespace CallCluster.Contracts.Security;

/// <summary>An API token as the cluster knows it: never the secret, only its SHA-256 (lower-case hex). Configured tokens
/// (HOCON/env) and tokens issued with <c>callctl tokens add</c> are both this record.</summary>
/// <param name="Id">The name logs and audit lines use (not secret).</param>
/// <param name="Sha256">SHA-256 of the token string, lower-case hex.</param>
/// <param name="Scopes">calls:read, calls:control, admin.</param>
/// <param name="Domains">SIP domains the token is limited to; empty: every domain.</param>
/// <param name="ExpiresAtMs">Unix ms after which the token is refused; 0: never.</param>
/// <param name="MaxInFlight">Commands of this token running at once on a gateway; 0: the gateway's default.</param>
/// <param name="CommandsPerSecond">Commands of this token accepted per second on a gateway; 0: the gateway's default.</param>
public sealed record ApiToken(
    string Id,
    string Sha256,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Domains,
    long ExpiresAtMs = 0,
    int MaxInFlight = 0,
    int CommandsPerSecond = 0) : ICallClusterMessage
{
    public bool ExpiredAt(long nowMs) => ExpiresAtMs > 0 && nowMs >= ExpiresAtMs;
}
