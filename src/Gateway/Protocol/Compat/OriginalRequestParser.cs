using System.Text.Json;

namespace CallCluster.Gateway.Protocol.Compat;

/// <summary>Reads a frame the way the original Call API's server does (pkg/ws_server: one request object per frame,
/// always answered, <c>params</c> an object of strings, <c>cmd_id</c> optional), then hands the parameters the
/// native command knows to the native validator, so the same rules (SIP URIs, legs, Call-IDs) hold behind both
/// dialects. Differences from the original, on purpose: a request without <c>id</c> is answered with id null (the
/// original answers everything); a present <c>jsonrpc</c> must be "2.0" (the original ignores it); parameters
/// the command does not know are dropped, as the original ignores them. Pure and thread-safe.</summary>
public sealed class OriginalRequestParser(MethodRegistry registry)
{
    private const string NullId = "null";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = RequestParser.MaxDepth };

    public InboundFrame Parse(ReadOnlyMemory<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            return RequestParser.Refused(RpcError.Parse("the frame is not valid UTF-8"));
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return RequestParser.Refused(RpcError.Parse($"the frame is not valid JSON (or nested deeper than {RequestParser.MaxDepth})"));
        }

        using (doc)
        {
            var root = doc.RootElement;
            // As in the native parser: a string or member name holding an escaped unpaired surrogate ("\ud800") cannot
            // be read (reading it throws), so the request is refused before any of its strings is read.
            return InboundFrame.Single(RequestParser.HasUnpairedSurrogate(root)
                ? new RpcInvalid(RequestParser.ReadableId(root) ?? NullId,
                    RpcError.InvalidRequest("a string or member name holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)"))
                : ParseRequest(root));
        }
    }

    private RpcItem ParseRequest(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            // The original unmarshals into one request struct: a batch (array) is not part of its dialect.
            return new RpcInvalid(NullId, RpcError.InvalidRequest("a request must be one JSON object (no batches)"));
        }

        string idJson = NullId;
        JsonElement? jsonrpc = null, method = null, parameters = null;
        foreach (var member in request.EnumerateObject())
        {
            switch (member.Name)
            {
                case "id":
                    if (member.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
                    {
                        return new RpcInvalid(NullId, RpcError.InvalidRequest("id must be a string, a number or null"));
                    }

                    idJson = member.Value.GetRawText();
                    break;
                case "jsonrpc":
                    jsonrpc = member.Value;
                    break;
                case "method":
                    method = member.Value;
                    break;
                case "params":
                    parameters = member.Value;
                    break;
            }
        }

        if (jsonrpc is { } v && !(v.ValueKind == JsonValueKind.String && v.ValueEquals("2.0")))
        {
            return new RpcInvalid(idJson, RpcError.InvalidRequest("jsonrpc must be \"2.0\""));
        }

        if (method is not { ValueKind: JsonValueKind.String } m)
        {
            return new RpcInvalid(idJson, RpcError.InvalidRequest("method must be a string"));
        }

        var name = m.GetString()!;
        var native = OriginalMethods.Native(name);
        if (native is null)
        {
            return new RpcInvalid(idJson, RpcError.MethodNotFound($"unknown method {name}"));
        }

        // The original checks params before the method (ws_server.go), but a client cannot tell the order apart.
        if (parameters is not { ValueKind: JsonValueKind.Object } obj)
        {
            return new RpcInvalid(idJson, OriginalErrors.NonObjectParams());
        }

        var spec = registry.Resolve(native, out var disabled);
        if (spec is null)
        {
            return new RpcInvalid(idJson, disabled!);
        }

        return Filter(obj, spec, out var refused) is { } known
            ? spec.Validate(idJson, known)
            : new RpcInvalid(idJson, refused!);
    }

    /// <summary>The parameters <paramref name="spec"/> knows (under any alias), as a new object; null and the error
    /// when a value is not a string (the original refuses those: "non-string parameter values are not yet supported").</summary>
    private static JsonElement? Filter(JsonElement parameters, MethodSpec spec, out RpcError? error)
    {
        var known = spec.Params.SelectMany(p => p.Aliases.Prepend(p.Name)).ToHashSet(StringComparer.Ordinal);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var p in parameters.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    error = p.Name == MethodSpec.CmdIdParam
                        ? OriginalErrors.BadCmdId()
                        : new RpcError(-Contracts.Commands.ErrorCodes.InvalidParams, "bad JSON-RPC parameters",
                            $"{p.Name}: parameter values must be strings");
                    return null;
                }

                if (known.Contains(p.Name))
                {
                    p.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }

        error = null;
        // Cloned so that the element outlives the document it was read from.
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }
}
