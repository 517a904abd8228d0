using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>A stand-in OpenTelemetry collector: Kestrel on 127.0.0.1 and a free port taking OTLP/HTTP trace exports
/// (POST /v1/traces, protobuf) and keeping their bodies. Protobuf writes strings as plain UTF-8, so a test finds span
/// names, tag values and the service name in the bytes without decoding them.</summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string ContentType, byte[] Body)> _exports = new();

    private OtlpCollector(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The traces endpoint, as callcluster.tracing.otlp-endpoint takes it with otlp-protocol = http/protobuf.</summary>
    public Uri Url { get; }

    public IReadOnlyList<(string ContentType, byte[] Body)> Exports => _exports.ToArray();

    public static async Task<OtlpCollector> StartAsync()
    {
        var port = FreePort.Tcp();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var collector = new OtlpCollector(app, new Uri($"http://127.0.0.1:{port}/v1/traces"));
        app.MapPost("/v1/traces", collector.HandleAsync);
        await app.StartAsync();
        return collector;
    }

    /// <summary>Waits (bounded) until the exports so far, as text, contain every one of <paramref name="texts"/>.</summary>
    public async Task<string> WaitForAsync(TimeSpan timeout, params string[] texts)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var all = string.Concat(Exports.Select(e => Encoding.UTF8.GetString(e.Body)));
            if (texts.All(all.Contains))
            {
                return all;
            }

            Assert.True(DateTime.UtcNow < deadline,
                $"the collector got {Exports.Count} exports in {timeout}, missing: {string.Join(", ", texts.Where(t => !all.Contains(t)))}");
            await Task.Delay(50);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        _exports.Enqueue((context.Request.ContentType ?? "", buffer.ToArray()));
        // An empty ExportTraceServiceResponse: everything accepted.
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-protobuf";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
