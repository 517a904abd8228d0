using System.Text.Json;

namespace CallCluster.Gateway.Protocol;

/// <summary>Turns one WebSocket text frame into validated requests. Pure and thread-safe: runs on the
/// connection's receive loop, never on an actor thread.</summary>
/// <param name="maxBatch">Most requests in one batch; a larger batch is refused whole with one -32600 (docs/protocol.md,
/// section 7).</param>
public sealed class RequestParser(MethodRegistry registry, int maxBatch = RequestParser.DefaultMaxBatch)
{
    private const string NullId = "null";

    /// <summary>Default most requests in one batch frame.</summary>
    public const int DefaultMaxBatch = 1000;

    /// <summary>Deepest JSON nesting accepted in a frame (arrays and objects); deeper is -32700.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    public MethodRegistry Registry { get; } = registry;

    /// <summary>A frame answered by one error with id null (oversized, binary, ...).</summary>
    public static InboundFrame Refused(RpcError error) => InboundFrame.Single(new RpcInvalid(NullId, error));

    public InboundFrame Parse(ReadOnlyMemory<byte> utf8)
    {
        // JsonDocument checks UTF-8 only when a string is read; a text frame must be valid UTF-8 throughout.
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            return Refused(RpcError.Parse("the frame is not valid UTF-8"));
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return Refused(RpcError.Parse($"the frame is not valid JSON (or nested deeper than {MaxDepth})"));
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return InboundFrame.Single(ParseOne(root, this));
            }

            var count = root.GetArrayLength();
            if (count == 0)
            {
                return Refused(RpcError.InvalidRequest("empty batch"));
            }

            if (count > maxBatch)
            {
                return Refused(RpcError.InvalidRequest($"a batch holds at most {maxBatch} requests, this one {count}"));
            }

            var items = new RpcItem[count];
            var i = 0;
            foreach (var element in root.EnumerateArray())
            {
                items[i++] = ParseOne(element, this);
            }

            return new InboundFrame(items, true);
        }
    }

    /// <summary>A request whose strings or member names hold an escaped unpaired UTF-16 surrogate (<c>"\ud800"</c>) is
    /// not Unicode: it is refused -32600 (answered with its id when it has a readable one, else id null), before any of
    /// its strings is read (reading one throws).</summary>
    private static RpcItem ParseOne(JsonElement request, RequestParser parser) =>
        HasUnpairedSurrogate(request)
            ? new RpcInvalid(ReadableId(request) ?? NullId,
                RpcError.InvalidRequest("a string or member name holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)"))
            : parser.ParseOne(request);

    /// <summary>True when a member name or string anywhere in <paramref name="e"/> cannot be read as a string.</summary>
    public static bool HasUnpairedSurrogate(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return !CanRead(e);
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    if (HasUnpairedSurrogate(item)) return true;
                }

                return false;
            case JsonValueKind.Object:
                foreach (var member in e.EnumerateObject())
                {
                    if (!CanRead(member) || HasUnpairedSurrogate(member.Value)) return true;
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>The first <c>id</c> member that is a string, number or null, as raw JSON; null when there is none.</summary>
    internal static string? ReadableId(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object) return null;
        foreach (var member in request.EnumerateObject())
        {
            if (CanRead(member) && member.Name == "id"
                && member.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null)
            {
                return member.Value.GetRawText();
            }
        }

        return null;
    }

    private static bool CanRead(JsonElement e)
    {
        try
        {
            _ = e.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool CanRead(JsonProperty member)
    {
        try
        {
            _ = member.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private RpcItem ParseOne(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            return new RpcInvalid(NullId, RpcError.InvalidRequest("a request must be a JSON object"));
        }

        JsonElement? jsonrpc = null, method = null, parameters = null;
        string? idJson = null;
        var idValid = true;
        foreach (var member in request.EnumerateObject())
        {
            switch (member.Name)
            {
                case "jsonrpc" when jsonrpc is null:
                    jsonrpc = member.Value;
                    break;
                case "method" when method is null:
                    method = member.Value;
                    break;
                case "params" when parameters is null:
                    parameters = member.Value;
                    break;
                case "id" when idJson is null && idValid:
                    if (member.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null)
                    {
                        // Echoed byte for byte, so 1.50 stays 1.50 and escapes stay as sent.
                        idJson = member.Value.GetRawText();
                    }
                    else
                    {
                        idValid = false;
                    }

                    break;
                case "jsonrpc" or "method" or "params" or "id":
                    return new RpcInvalid(idJson ?? NullId, RpcError.InvalidRequest($"member {member.Name} is given more than once"));
                default:
                    // Extra members are tolerated (JSON-RPC does not forbid them; some clients add their own).
                    break;
            }
        }

        if (!idValid)
        {
            return new RpcInvalid(NullId, RpcError.InvalidRequest("id must be a string, a number or null"));
        }

        // Invalid requests are answered even when they have no id (JSON-RPC 2.0: id null).
        var errorId = idJson ?? NullId;
        if (jsonrpc is not { ValueKind: JsonValueKind.String } v || !v.ValueEquals("2.0"))
        {
            return new RpcInvalid(errorId, RpcError.InvalidRequest("jsonrpc must be \"2.0\""));
        }

        if (method is not { ValueKind: JsonValueKind.String } m)
        {
            return new RpcInvalid(errorId, RpcError.InvalidRequest("method must be a string"));
        }

        if (parameters is { ValueKind: not JsonValueKind.Object })
        {
            return new RpcInvalid(errorId, RpcError.InvalidRequest("params must be an object"));
        }

        var spec = Registry.Resolve(m.GetString()!, out var error);
        return spec is null ? new RpcInvalid(idJson, error!) : spec.Validate(idJson, parameters);
    }
}
