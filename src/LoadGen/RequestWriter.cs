using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace CallCluster.LoadGen;

/// <summary>Writes the JSON-RPC requests of one connection into a reused buffer (Utf8JsonWriter, pre-encoded names).</summary>
public sealed class RequestWriter
{
    private static readonly JsonEncodedText JsonRpc = JsonEncodedText.Encode("jsonrpc");
    private static readonly JsonEncodedText V2 = JsonEncodedText.Encode("2.0");
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Method = JsonEncodedText.Encode("method");
    private static readonly JsonEncodedText Params = JsonEncodedText.Encode("params");
    private static readonly JsonEncodedText CmdId = JsonEncodedText.Encode("cmd_id");
    private static readonly JsonEncodedText CallId = JsonEncodedText.Encode("callid");
    private static readonly JsonEncodedText Caller = JsonEncodedText.Encode("caller");
    private static readonly JsonEncodedText Callee = JsonEncodedText.Encode("callee");
    private static readonly JsonEncodedText Leg = JsonEncodedText.Encode("leg");
    private static readonly JsonEncodedText Destination = JsonEncodedText.Encode("destination");
    private static readonly JsonEncodedText CalleeValue = JsonEncodedText.Encode("callee");
    private static readonly JsonEncodedText CallStart = JsonEncodedText.Encode("CallStart");
    private static readonly JsonEncodedText CallEnd = JsonEncodedText.Encode("CallEnd");
    private static readonly JsonEncodedText CallHold = JsonEncodedText.Encode("CallHold");
    private static readonly JsonEncodedText CallUnHold = JsonEncodedText.Encode("CallUnHold");
    private static readonly JsonEncodedText CallBlindTransfer = JsonEncodedText.Encode("CallBlindTransfer");

    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;
    private readonly byte[] _cmdIdPrefix;
    private readonly bool _sendCmdId;
    private readonly string _phoneTag;

    /// <param name="cmdIdPrefix">cmd_ids are prefix + n</param>
    /// <param name="phoneTag">makes the generated phone user names unique per run and connection</param>
    public RequestWriter(string cmdIdPrefix, bool sendCmdId, string phoneTag)
    {
        _cmdIdPrefix = Encoding.UTF8.GetBytes(cmdIdPrefix);
        _sendCmdId = sendCmdId;
        _phoneTag = phoneTag;
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    public static int Steps(OpKind kind) => kind == OpKind.Hold ? 2 : 1;

    /// <summary>Writes request n; the returned memory is valid until the next call.</summary>
    public ReadOnlyMemory<byte> Write(long n, OpKind kind, int step, string? callId)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        var w = _writer;
        w.WriteStartObject();
        w.WriteString(JsonRpc, V2);
        w.WriteNumber(Id, n);
        w.WriteString(Method, kind switch
        {
            OpKind.Start => CallStart,
            OpKind.End => CallEnd,
            OpKind.Hold => step == 0 ? CallHold : CallUnHold,
            _ => CallBlindTransfer,
        });
        w.WriteStartObject(Params);
        switch (kind)
        {
            case OpKind.Start:
                w.WriteString(Caller, $"sip:lg{_phoneTag}a{n}@127.0.0.1");
                w.WriteString(Callee, $"sip:lg{_phoneTag}b{n}@127.0.0.1");
                break;
            case OpKind.Transfer:
                w.WriteString(CallId, callId);
                w.WriteString(Leg, CalleeValue);
                w.WriteString(Destination, $"sip:lg{_phoneTag}t{n}@127.0.0.1");
                break;
            default:
                w.WriteString(CallId, callId);
                break;
        }
        if (_sendCmdId)
        {
            Span<byte> id = stackalloc byte[_cmdIdPrefix.Length + 20];
            _cmdIdPrefix.CopyTo(id);
            Utf8Formatter.TryFormat(n, id[_cmdIdPrefix.Length..], out int written);
            w.WriteString(CmdId, id[..(_cmdIdPrefix.Length + written)]);
        }
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenMemory;
    }
}
