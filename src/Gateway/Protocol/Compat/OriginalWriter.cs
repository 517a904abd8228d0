using System.Text.Encodings.Web;
using System.Text.Json;

namespace CallCluster.Gateway.Protocol.Compat;

/// <summary>Frames of the original dialect, member for member as its Go server writes them: the reply
/// <c>{"jsonrpc","id","result":{"cmd_id","event":"Started"}}</c> (no <c>status</c>), notifications
/// <c>{"jsonrpc","method":&lt;command&gt;,"params":{"cmd_id","data"?,"event"}}</c>. Go's encoding/json writes map keys
/// sorted, so <c>params</c> and <c>data</c> members are written in ordinal order too.</summary>
public static class OriginalWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Started(string idJson, string cmdId) => Write(w =>
    {
        Head(w, idJson);
        w.WriteStartObject("result");
        w.WriteString("cmd_id", cmdId);
        w.WriteString("event", "Started");
        w.WriteEndObject();
    });

    public static byte[] Error(string idJson, RpcError error) => Write(w =>
    {
        Head(w, idJson);
        w.WriteStartObject("error");
        w.WriteNumber("code", error.Code);
        w.WriteString("message", error.Message);
        if (error.Data is not null)
        {
            w.WriteString("data", error.Data);
        }

        w.WriteEndObject();
    });

    public static byte[] Notification(string method, string cmdId, OriginalEvent e) => Write(w =>
    {
        w.WriteString("jsonrpc", "2.0");
        w.WriteString("method", method);
        w.WriteStartObject("params");
        w.WriteString("cmd_id", cmdId);
        if (e.Text is not null)
        {
            w.WriteString("data", e.Text);
        }
        else if (e.Fields is { } fields)
        {
            w.WriteStartObject("data");
            foreach (var (key, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
        }

        w.WriteString("event", e.Name);
        w.WriteEndObject();
    });

    private static void Head(Utf8JsonWriter w, string idJson)
    {
        w.WriteString("jsonrpc", "2.0");
        w.WritePropertyName("id");
        // Checked by the parser to be one JSON string/number/null; echoed as the client wrote it.
        w.WriteRawValue(idJson, skipInputValidation: true);
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
