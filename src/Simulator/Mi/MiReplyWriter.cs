using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CallCluster.Simulator.Mi;

/// <summary>Serializes MI replies in OpenSIPS key order: jsonrpc, result|error, id. Compact, with '&lt;' and '&gt;' unescaped like OpenSIPS.</summary>
public static class MiReplyWriter
{
    /// <summary>mi_datagram's buffer: a reply that does not fit is replaced by plain "500 Internal error".</summary>
    public const int MaxDatagram = 65457;

    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true };

    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;
    [ThreadStatic] private static Utf8JsonWriter? _writer;

    /// <summary>Builds the reply bytes. The returned array is a fresh copy, safe to keep.</summary>
    public static byte[] Build(MiId id, MiResult result)
    {
        if (result is MiPlain plain) return Encoding.ASCII.GetBytes(plain.Text);
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = _writer ??= new Utf8JsonWriter(buffer, Options);
        w.Reset(buffer);
        w.WriteStartObject();
        w.WriteString("jsonrpc"u8, "2.0"u8);
        if (result is MiOk ok)
        {
            w.WritePropertyName("result"u8);
            ok.Write(w);
        }
        else if (result is MiError err)
        {
            w.WritePropertyName("error"u8);
            w.WriteStartObject();
            w.WriteNumber("code"u8, err.Code);
            w.WriteString("message"u8, err.Message);
            if (err.Data is not null) w.WriteString("data"u8, err.Data);
            w.WriteEndObject();
        }
        w.WritePropertyName("id"u8);
        switch (id.Kind)
        {
            case MiIdKind.String: w.WriteStringValue(id.Text); break;
            case MiIdKind.Int: w.WriteNumberValue(id.Number); break;
            default: w.WriteNullValue(); break;
        }
        w.WriteEndObject();
        w.Flush();
        if (buffer.WrittenCount > MaxDatagram) return Encoding.ASCII.GetBytes("500 Internal error");
        return buffer.WrittenSpan.ToArray();
    }
}
