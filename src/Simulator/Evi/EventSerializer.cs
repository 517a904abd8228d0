using System.Buffers;
using System.Text.Json;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Evi;

/// <summary>Writes an event datagram: compact {"jsonrpc":"2.0","method":NAME,"params":{...}} with no id.</summary>
public static class EventSerializer
{
    // One writer per thread, reused: events are raised by the bus actor at the rate of all calls together.
    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;
    [ThreadStatic] private static Utf8JsonWriter? _writer;

    /// <summary>The datagram bytes; a fresh array, safe to keep.</summary>
    public static byte[] Serialize(RaiseEvent e)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var w = _writer ??= new Utf8JsonWriter(buffer, MiReplyWriter.Options);
        w.Reset(buffer);
        w.WriteStartObject();
        w.WriteString("jsonrpc"u8, "2.0"u8);
        w.WriteString("method"u8, e.Name);
        w.WriteStartObject("params"u8);
        foreach (var p in e.Params)
        {
            switch (p.Value)
            {
                case null: w.WriteNull(p.Name); break;
                case int i: w.WriteNumber(p.Name, i); break;
                case long l: w.WriteNumber(p.Name, l); break;
                default: w.WriteString(p.Name, p.Value.ToString()); break;
            }
        }
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
