using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CallCluster.Hosting.Security;

/// <summary>Cross-site WebSocket hijacking defence: a browser sends the page's Origin with every WebSocket upgrade and
/// fetch, and a page on another site must not drive the gateway with the user's network position (a gateway on the
/// user's loopback) or ticket. A request whose Origin is not allowed is refused 403 before anything else. Allowed:
/// the configured list; with no list, only the gateway's own origin — its bind host (and, on loopback, the loopback
/// names) at the port the request arrived on. The Host header is not trusted for this: under DNS rebinding an
/// attacker's name points at the gateway and the Host header matches the attacker's Origin. A request without Origin
/// (not a browser) is judged by its credential alone.</summary>
public sealed class OriginPolicy(IReadOnlyList<string> allowed, string bindHost, ILogger logger)
{
    private readonly HashSet<string> _allowed = allowed.Select(Normalize).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    public bool Allows(HttpContext context)
    {
        string? origin = context.Request.Headers.Origin;
        if (string.IsNullOrEmpty(origin)) return true;
        var normal = Normalize(origin);
        if (normal is null) return false;
        if (_allowed.Count > 0) return _allowed.Contains(normal);
        var uri = new Uri(normal);
        return uri.Port == context.Connection.LocalPort && OwnHosts(context).Contains(uri.Host.Trim('[', ']'), StringComparer.OrdinalIgnoreCase);
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!Allows(context))
        {
            // The Origin is the page's address, not a credential: it can be logged.
            logger.LogWarning("Refused {Path} from Origin {Origin} (not in callcluster.security.allowed-origins): 403",
                context.Request.Path.Value, context.Request.Headers.Origin.ToString());
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("Origin not allowed", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private IEnumerable<string> OwnHosts(HttpContext context)
    {
        yield return bindHost.Trim('[', ']');
        if (IPAddress.TryParse(bindHost.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)
            || bindHost.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            yield return "127.0.0.1";
            yield return "localhost";
            yield return "::1";
        }
        else if (context.Connection.LocalIpAddress is { } local)
        {
            // Bound to every address (0.0.0.0): the address this connection reached.
            yield return (local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local).ToString();
        }
    }

    /// <summary>scheme://host:port with the default port made explicit; null when not an http(s) origin ("null" included).</summary>
    private static string? Normalize(string origin)
    {
        if (!Uri.TryCreate(origin.Trim().TrimEnd('/'), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return null;
        }

        return $"{uri.Scheme}://{uri.Host}:{uri.Port}";
    }
}
