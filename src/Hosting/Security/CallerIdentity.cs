using System.Security.Claims;
using CallCluster.Contracts.Security;

namespace CallCluster.Hosting.Security;

/// <summary>The caller an authenticated request stands for, as claims (so ASP.NET authorization policies can check
/// scopes) and back as a record (what the gateway's connection carries).</summary>
/// <param name="TokenId">The token's id (never its secret); <c>anonymous</c> or <c>address:NAME</c> without a token.</param>
/// <param name="Domains">SIP domains the caller is limited to; empty: every domain.</param>
/// <param name="Via">token, ticket, address or anonymous.</param>
public sealed record CallerIdentity(string TokenId, IReadOnlySet<string> Scopes, IReadOnlyList<string> Domains, string Via,
    int MaxInFlight = 0, int CommandsPerSecond = 0)
{
    public const string TokenIdClaim = "callcluster:token_id";
    public const string ScopeClaim = "callcluster:scope";
    public const string DomainClaim = "callcluster:domain";
    public const string ViaClaim = "callcluster:via";
    public const string ViaToken = "token";
    public const string ViaTicket = "ticket";
    public const string ViaAddress = "address";
    public const string ViaAnonymous = "anonymous";

    /// <summary>True when the caller was identified by a token (directly or by a ticket): it can be revoked.</summary>
    public bool HasToken => Via is ViaToken or ViaTicket;

    public bool Has(string scope) => Scopes.Contains(scope);

    public static ClaimsPrincipal ForToken(ApiToken token, string via) =>
        Principal(token.Id, token.Scopes, token.Domains, via);

    public static ClaimsPrincipal ForAddress(EndpointPolicy.Metadata policy) =>
        Principal("address:" + policy.Name, policy.Policy.Scopes, policy.Policy.Domains, ViaAddress);

    public static ClaimsPrincipal Anonymous() => Principal("anonymous", Security.Scopes.All, [], ViaAnonymous);

    /// <summary>The identity of an authenticated request; the token's limits are looked up fresh in the cache.</summary>
    public static CallerIdentity From(ClaimsPrincipal user, TokenCache cache)
    {
        var id = user.FindFirstValue(TokenIdClaim) ?? "anonymous";
        var via = user.FindFirstValue(ViaClaim) ?? ViaAnonymous;
        var token = via is ViaToken or ViaTicket ? cache.Find(id) : null;
        return new CallerIdentity(id,
            user.FindAll(ScopeClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
            user.FindAll(DomainClaim).Select(c => c.Value).ToList(),
            via, token?.MaxInFlight ?? 0, token?.CommandsPerSecond ?? 0);
    }

    private static ClaimsPrincipal Principal(string id, IEnumerable<string> scopes, IEnumerable<string> domains, string via)
    {
        var claims = new List<Claim> { new(TokenIdClaim, id), new(ViaClaim, via) };
        claims.AddRange(scopes.Select(s => new Claim(ScopeClaim, s)));
        claims.AddRange(domains.Select(d => new Claim(DomainClaim, d)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CallClusterAuthenticationHandler.SchemeName, TokenIdClaim, null));
    }
}
