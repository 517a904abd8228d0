using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallCluster.Hosting.Security;

public sealed class CallClusterAuthenticationOptions : AuthenticationSchemeOptions
{
    public CallClusterSecurity Security { get; set; } = null!;

    /// <summary>True while clients without any credential are let in with every scope: the embedded sandbox (loopback,
    /// no token anywhere) or --insecure with no token. Asked per request, since a token issued later closes it.</summary>
    public Func<bool> AllowAnonymous { get; set; } = () => false;
}

/// <summary>Who is calling, for every CallCluster HTTP endpoint (the WebSockets, the ticket endpoint, REST, the admin
/// palettes): <c>Authorization: Bearer TOKEN</c>, else a once-only <c>?ticket=</c>, else the endpoint's source-address
/// policy (<see cref="EndpointPolicy"/>), else anonymous where <see cref="CallClusterAuthenticationOptions.AllowAnonymous"/>
/// says so. Nothing found or a bad credential is a challenge: HTTP 401 before any WebSocket upgrade. Failure
/// messages never carry the credential (they reach the logs).</summary>
public sealed class CallClusterAuthenticationHandler(
    IOptionsMonitor<CallClusterAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<CallClusterAuthenticationOptions>(options, logger, encoder)
{
    public const string SchemeName = "CallCluster";
    public const string TicketParameter = "ticket";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var security = Options.Security;
        string? header = Request.Headers.Authorization;
        if (!string.IsNullOrEmpty(header))
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return Task.FromResult(AuthenticateResult.Fail("Authorization is not a Bearer token"));
            }

            return Task.FromResult(security.Cache.Authenticate(header["Bearer ".Length..].Trim()) is { } token
                ? Success(CallerIdentity.ForToken(token, CallerIdentity.ViaToken))
                : AuthenticateResult.Fail("unknown, revoked or expired token"));
        }

        if (Request.Query.TryGetValue(TicketParameter, out var tickets))
        {
            var tokenId = tickets.Count == 1 ? security.Tickets.Redeem(tickets[0]!) : null;
            return Task.FromResult(tokenId is not null && security.Cache.Find(tokenId) is { } token
                ? Success(CallerIdentity.ForToken(token, CallerIdentity.ViaTicket))
                : AuthenticateResult.Fail("unknown, used or expired ticket"));
        }

        var policy = Context.GetEndpoint()?.Metadata.GetMetadata<EndpointPolicy.Metadata>();
        if (policy is not null && policy.Policy.Admits(Context.Connection.RemoteIpAddress))
        {
            return Task.FromResult(Success(CallerIdentity.ForAddress(policy)));
        }

        if (Options.AllowAnonymous())
        {
            return Task.FromResult(Success(CallerIdentity.Anonymous()));
        }

        return Task.FromResult(AuthenticateResult.NoResult());
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    private AuthenticateResult Success(ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
}
