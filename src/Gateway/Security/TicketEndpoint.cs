using CallCluster.Hosting.Security;
using Microsoft.AspNetCore.Http;

namespace CallCluster.Gateway.Security;

/// <summary><c>POST /call-api/ticket</c> with <c>Authorization: Bearer TOKEN</c>: a once-only ticket a browser passes
/// as <c>?ticket=</c> on the WebSocket URL (browsers cannot set headers on a WebSocket). Only a token can get one: a
/// ticket cannot be traded for another, so a ticket that leaked from a URL dies with its single use.</summary>
public static class TicketEndpoint
{
    public static async Task IssueAsync(HttpContext context, CallClusterSecurity security)
    {
        var caller = context.Caller(security);
        if (caller.Via != CallerIdentity.ViaToken)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return;
        }

        var ticket = security.Tickets.Issue(caller.TokenId);
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        // Base64url has nothing JSON would escape.
        await context.Response.WriteAsync(
            $$"""{"ticket":"{{ticket}}","expires_in":{{(int)security.Tickets.Ttl.TotalSeconds}}}""", context.RequestAborted);
    }
}
