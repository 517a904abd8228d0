using System.Buffers;
using System.Text.Json;
using CallCluster.Gateway.Protocol;
using Microsoft.AspNetCore.Http;

namespace CallCluster.Gateway.Rest;

/// <summary>Turns an HTTP request (JSON body, path values, query, Idempotency-Key) into the params object a JSON-RPC
/// request would carry, and validates it with the method's own <see cref="MethodSpec"/>: the REST API has no rules of
/// its own, so a value refused on the WebSocket is refused here with the same -32602 text.</summary>
public sealed class RestParams(MethodRegistry registry, int maxBodyBytes)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = RequestParser.MaxDepth };

    /// <summary>A command: the body's members, then <paramref name="fromPath"/>, then the Idempotency-Key as cmd_id. A
    /// member given both in the body and by the path or header is refused as given twice, by the method's rules.</summary>
    public async Task<RpcItem> CommandAsync(string method, HttpRequest request, IReadOnlyList<(string Name, string Value)> fromPath)
    {
        var (body, error) = await ReadBodyAsync(request).ConfigureAwait(false);
        if (error is not null)
        {
            return new RpcInvalid(null, error);
        }

        using (body)
        {
            var extra = new List<(string, string)>(fromPath);
            if (request.Headers.TryGetValue(IdempotencyKeyHeader, out var key))
            {
                extra.Add((MethodSpec.CmdIdParam, key.ToString()));
            }

            return Validate(method, body?.RootElement, extra);
        }
    }

    /// <summary>A query or CommandGet: path values, and query-string values. A query value for an integer parameter
    /// (<c>limit</c>) is written as a JSON number when it is one, as a JSON-RPC client would send it; anything else stays
    /// a string, which the method's rules then judge.</summary>
    public RpcItem Query(string method, IReadOnlyList<(string Name, string Value)> fromPath, IQueryCollection? query = null)
    {
        var values = new List<(string, string)>(fromPath);
        foreach (var (name, list) in query ?? QueryCollection.Empty)
        {
            foreach (var value in list)
            {
                values.Add((name, value ?? ""));
            }
        }

        return Validate(method, null, values);
    }

    /// <summary>A value taken from the path. Kestrel decodes every escape in the path but %2F, so that a '/' inside a
    /// segment does not split it; a Call-ID or cmd_id may hold '/', sent as %2F.</summary>
    public static string PathValue(string routeValue) =>
        routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private RpcItem Validate(string method, JsonElement? body, IReadOnlyList<(string Name, string Value)> values)
    {
        var spec = registry.Resolve(method, out var notFound);
        if (spec is null)
        {
            return new RpcInvalid(null, notFound!);
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (body is { } b)
            {
                foreach (var member in b.EnumerateObject())
                {
                    member.WriteTo(w);
                }
            }

            foreach (var (name, value) in values)
            {
                var integer = spec.Params.Any(p => p.Name == name && p.Kind is ParamKind.Limit or ParamKind.NonNegativeInt);
                if (integer && long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign,
                        System.Globalization.CultureInfo.InvariantCulture, out var n))
                {
                    w.WriteNumber(name, n);
                }
                else
                {
                    w.WriteString(name, value);
                }
            }

            w.WriteEndObject();
        }

        using var merged = JsonDocument.Parse(buffer.WrittenMemory);
        return spec.Validate(null, merged.RootElement);
    }

    /// <summary>The body as a JSON object; none when empty. Malformed JSON is -32700 and anything but an object, or
    /// text that is not Unicode, -32600, as for a WebSocket frame.</summary>
    private async Task<(JsonDocument? Body, RpcError? Error)> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > maxBodyBytes)
        {
            return (null, RpcError.InvalidRequest($"the body holds {request.ContentLength} bytes, at most {maxBodyBytes} are accepted"));
        }

        using var copy = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (copy.Length + read > maxBodyBytes)
            {
                return (null, RpcError.InvalidRequest($"the body holds more than {maxBodyBytes} bytes"));
            }

            copy.Write(chunk, 0, read);
        }

        if (copy.Length == 0)
        {
            return (null, null);
        }

        var bytes = copy.GetBuffer().AsMemory(0, (int)copy.Length);
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
        {
            return (null, RpcError.Parse("the body is not valid UTF-8"));
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException)
        {
            return (null, RpcError.Parse($"the body is not valid JSON (or nested deeper than {RequestParser.MaxDepth})"));
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            return (null, RpcError.InvalidRequest("the body must be a JSON object of the method's params"));
        }

        if (RequestParser.HasUnpairedSurrogate(doc.RootElement))
        {
            doc.Dispose();
            return (null, RpcError.InvalidRequest("a string or member name holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)"));
        }

        return (doc, null);
    }
}
