using System.Buffers;
using System.Text.Json;

namespace CallCluster.SimulatorBench;

/// <summary>Builds MI request datagrams with System.Text.Json; "id" goes last, like any JSON-RPC client may do.</summary>
public sealed class Requests
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    /// <summary>Writes {"jsonrpc":"2.0","method":M,"params":{...},"id":N}; the bytes stay valid until the next call on this instance.</summary>
    public ReadOnlyMemory<byte> Build(string method, int id, Action<Utf8JsonWriter>? parameters = null)
    {
        _buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(_buffer))
        {
            w.WriteStartObject();
            w.WriteString("jsonrpc"u8, "2.0"u8);
            w.WriteString("method"u8, method);
            if (parameters is not null)
            {
                w.WritePropertyName("params"u8);
                w.WriteStartObject();
                parameters(w);
                w.WriteEndObject();
            }
            w.WriteNumber("id"u8, id);
            w.WriteEndObject();
        }
        return _buffer.WrittenMemory;
    }

    public const string ClickToDialBody = "v=0\r\no=click-to-dial 0 0 IN IP4 0.0.0.0\r\ns=session\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}
