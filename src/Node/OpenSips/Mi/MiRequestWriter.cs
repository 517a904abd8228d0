using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CallCluster.Node.OpenSips;

/// <summary>Writes MI JSON-RPC requests into one reused buffer (one instance per socket actor, not thread-safe).</summary>
internal sealed class MiRequestWriter
{
    /// <summary>mi_datagram's receive buffer; anything longer is cut off and answered with a parse error.</summary>
    public const int MaxDatagram = 65457;

    // Relaxed escaping keeps SIP's '<' '>' '&' readable and the datagram small; the output is still valid JSON.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;

    public MiRequestWriter() => _writer = new Utf8JsonWriter(_buffer, Options);

    /// <summary>A method-less datagram crashes OpenSIPS 4.0.1 (mi_datagram segfault), so refuse it here.</summary>
    public static string? Validate(MiCall call)
    {
        if (string.IsNullOrWhiteSpace(call.Method)) return "MI method must be a non-empty string";
        if (call.Params is null) return "MI params must not be null (use an empty list)";
        foreach (var (name, value) in call.Params)
        {
            if (string.IsNullOrEmpty(name)) return "MI param names must be non-empty";
            if (value is not (string or int or long)) return $"MI param '{name}' must be a string, int or long";
        }
        return null;
    }

    /// <summary>Serializes the call; the returned memory is valid until the next call. Null when too large.</summary>
    public ReadOnlyMemory<byte>? Write(int id, MiCall call)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("jsonrpc"u8, "2.0"u8);
        _writer.WriteString("method"u8, call.Method);
        if (call.Params.Count > 0)
        {
            _writer.WriteStartObject("params"u8);
            foreach (var (name, value) in call.Params)
            {
                switch (value)
                {
                    case string s: _writer.WriteString(name, s); break;
                    case int i: _writer.WriteNumber(name, i); break;
                    case long l: _writer.WriteNumber(name, l); break;
                    default: throw new ArgumentException($"MI param '{name}' has an unsupported type");
                }
            }
            _writer.WriteEndObject();
        }
        _writer.WriteNumber("id"u8, id);
        _writer.WriteEndObject();
        _writer.Flush();
        // Explicit: a bare null would convert to an empty ReadOnlyMemory (via byte[]), not to a null Nullable.
        if (_buffer.WrittenCount > MaxDatagram) return (ReadOnlyMemory<byte>?)null;
        return _buffer.WrittenMemory;
    }
}
