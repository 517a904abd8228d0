using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CallCluster.Hosting.Admin.Health;

/// <summary>The probes' JSON bodies, unchanged since before the checks ran on ASP.NET's health checks (callctl,
/// scripts and dashboards read them): <c>{"status":"live","address":…}</c> and
/// <c>{"status":"ready"|"not-ready","detail":…}</c>. The status code is the health checks middleware's: 200 when
/// healthy, 503 when not.</summary>
public static class ProbeResponses
{
    public static Task WriteLiveAsync(HttpContext context, HealthReport report, string address)
    {
        var body = new Dictionary<string, string>
        {
            ["status"] = report.Status == HealthStatus.Unhealthy ? "not-live" : "live",
            ["address"] = address,
        };
        if (report.Status == HealthStatus.Unhealthy)
        {
            body["detail"] = Detail(report);
        }

        return WriteAsync(context, body);
    }

    public static Task WriteReadyAsync(HttpContext context, HealthReport report) =>
        WriteAsync(context, new Dictionary<string, string>
        {
            ["status"] = report.Status == HealthStatus.Unhealthy ? "not-ready" : "ready",
            ["detail"] = Detail(report),
        });

    /// <summary>When unhealthy, what failed (each failing check's description); otherwise what
    /// every check saw.</summary>
    public static string Detail(HealthReport report)
    {
        var entries = report.Status == HealthStatus.Unhealthy
            ? report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy)
            : report.Entries;
        return string.Join("; ", entries.Select(e => e.Value.Description ?? e.Key + " is " + e.Value.Status));
    }

    private static async Task WriteAsync(HttpContext context, Dictionary<string, string> body)
    {
        context.Response.ContentType = AdminProtocol.JsonContentType;
        await JsonSerializer.SerializeAsync(context.Response.Body, body, AdminJsonContext.Default.DictionaryStringString,
            context.RequestAborted).ConfigureAwait(false);
    }
}
