using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>A stand-in OpenTelemetry collector: Kestrel on 127.0.0.1 and a free port taking OTLP/HTTP trace exports
/// (POST /v1/traces, protobuf) and keeping their bodies. Protobuf writes strings as plain UTF-8, so a test finds span
/// names, tag values and the service name in the bytes without decoding them.</summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string ContentType, byte[] Body)> _exports = new();
    private LoopbackWebApp _app = null!;

    private OtlpCollector()
    {
    }

    /// <summary>The traces endpoint, as callcluster.tracing.otlp-endpoint takes it with otlp-protocol = http/protobuf.</summary>
    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<(string ContentType, byte[] Body)> Exports => _exports.ToArray();

    public static async Task<OtlpCollector> StartAsync()
    {
        var collector = new OtlpCollector();
        collector._app = await LoopbackWebApp.StartAsync(app => app.MapPost("/v1/traces", collector.HandleAsync));
        collector.Url = collector._app.Url("http", "/v1/traces");
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

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
