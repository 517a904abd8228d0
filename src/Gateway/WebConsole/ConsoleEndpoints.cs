using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CallCluster.Gateway.WebConsole;

/// <summary>The web console at <c>/console/</c> (docs/console.md): plain HTML, CSS and ES modules embedded in this
/// assembly (WebConsole/assets, no build step), plus <c>settings.json</c>, which tells the page where the native Call
/// API and the ticket route are on this gateway. None of it needs a token: the files hold no data. Everything the page
/// shows comes from the REST and WebSocket routes, with the credentials and Origin check those always apply.</summary>
public static class ConsoleEndpoints
{
    public const string Path = "/console";

    private const string ResourcePrefix = "console/";

    /// <summary>Same-origin only, no inline script or style: the page can reach nothing but this gateway (<c>'self'</c>
    /// covers ws:// and wss:// to it), and nothing it shows can run as script.</summary>
    private const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    /// <param name="callApiPath">Where the native dialect is served (the console speaks it); null when nowhere.</param>
    /// <param name="ticketPath">Where a browser trades its token for a once-only WebSocket ticket.</param>
    public static void MapCallClusterConsole(this IEndpointRouteBuilder app, string? callApiPath, string ticketPath)
    {
        var assets = LoadAssets();
        var settings = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?>
        {
            ["call_api"] = callApiPath,
            ["ticket"] = ticketPath,
            ["rest"] = Rest.RestEndpoints.Prefix,
        });

        // Module imports in the page are relative, so the page must be addressed as a folder; routing ignores a trailing
        // slash, so /console and /console/ reach the same route and the path tells them apart.
        app.MapGet(Path, (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
            ? Asset(assets, "index.html", context.Response)
            : Results.Redirect(Path + "/")).ExcludeFromDescription();
        app.MapGet(Path + "/settings.json", (HttpContext context) =>
        {
            Harden(context.Response);
            return Results.Bytes(settings, "application/json");
        }).ExcludeFromDescription();
        app.MapGet(Path + "/{file}", (string file, HttpContext context) => Asset(assets, file, context.Response))
            .ExcludeFromDescription();
    }

    private static IResult Asset(Dictionary<string, (byte[] Content, string ContentType)> assets, string file, HttpResponse response)
    {
        if (!assets.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }

        Harden(response);
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static void Harden(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // A new gateway version must not run with the last version's modules.
        response.Headers.CacheControl = "no-cache";
    }

    /// <summary>Every embedded asset by file name, read once (a few kilobytes).</summary>
    private static Dictionary<string, (byte[] Content, string ContentType)> LoadAssets()
    {
        var assembly = typeof(ConsoleEndpoints).Assembly;
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var file = name[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(System.IO.Path.GetExtension(file), out var contentType))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            assets[file] = (buffer.ToArray(), contentType);
        }

        return assets;
    }
}
