using CallCluster.Contracts.Commands;
using CallCluster.Hosting.Security;
using Microsoft.AspNetCore.Http;

namespace CallCluster.Gateway.Rest;

/// <summary>Scopes on the REST API (docs/security.md): reading (GET) needs <c>calls:read</c>, commands (POST)
/// <c>calls:control</c>, as the same requests need on the WebSocket; a refusal is 403 problem+json with -32005.
/// A token limited to SIP domains is refused here altogether: the REST handlers do not filter by domain yet, and
/// refusing is the closed way to fail.</summary>
public sealed class RestSecurity(CallClusterSecurity security) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = http.Caller(security);
        var needed = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) ? Scopes.CallsRead : Scopes.CallsControl;
        if (!caller.Has(needed))
        {
            return Forbidden($"token {caller.TokenId} lacks the scope {needed}");
        }

        if (caller.Domains.Count > 0)
        {
            return Forbidden($"token {caller.TokenId} is limited to SIP domains, which the REST API does not serve; use the WebSocket API");
        }

        return await next(context);
    }

    private static IResult Forbidden(string detail) => Results.Problem(
        title: "Forbidden",
        detail: detail,
        statusCode: StatusCodes.Status403Forbidden,
        extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.Forbidden });
}
