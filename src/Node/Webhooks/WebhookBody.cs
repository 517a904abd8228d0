using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using CallCluster.Gateway.Events;

namespace CallCluster.Node.Webhooks;

/// <summary>The JSON body of one delivery attempt: the delivery id (the same on every attempt: receivers deduplicate
/// on it), the endpoint, the event's cursor, the attempt's timestamp (also in a header; signed here) and the event's
/// fields as a WebSocket subscriber gets them.</summary>
public static class WebhookBody
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(string deliveryId, string endpoint, StoredCallEvent stored, long timestamp, int attempt)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("delivery_id", deliveryId);
            w.WriteString("endpoint", endpoint);
            w.WriteString("cursor", CallEventJson.Cursor(stored.Offset));
            w.WriteNumber("timestamp", timestamp);
            w.WriteNumber("attempt", attempt);
            CallEventJson.WriteFields(w, stored.Event);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
