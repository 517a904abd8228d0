using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace CallCluster.LoadGen;

public enum FrameKind : byte { Invalid, Reply, ErrorReply, Notification }

public enum CmdIdKind : byte { None, Own, Foreign }

public enum NoteMethod : byte { None, Event, Ended, Error, Other }

public enum EndStatus : byte { None, Ok, Failed, Other }

/// <summary>
/// The fields of one inbound frame the generator cares about, for both dialects. Allocation-free except
/// <see cref="ForeignCmdId"/> (a cmd_id not minted by this connection) and <see cref="Data"/> (upstream only).
/// </summary>
public struct InboundMessage
{
    public FrameKind Kind;
    public bool HasId;
    public bool IdNumeric;
    public long Id;
    public CmdIdKind CmdIdKind;
    public long OwnN;
    public string? ForeignCmdId;
    public bool Started;
    public bool HasErrorCode;
    public long ErrorCode;
    public NoteMethod Method;
    /// <summary>params.event (upstream dialect): Ended / Error / other.</summary>
    public NoteMethod Event;
    public bool HasSeq;
    public long Seq;
    public EndStatus Status;
    public string? Data;
}

/// <summary>
/// Parses frames with <see cref="Utf8JsonReader"/>. Own cmd_ids are "{prefix}{n}"; they are recognised from the
/// bytes and turned into n without allocating.
/// </summary>
public sealed class InboundParser
{
    private readonly byte[] _prefix;
    private readonly bool _keepData;

    public InboundParser(string ownCmdIdPrefix, bool keepData)
    {
        _prefix = Encoding.UTF8.GetBytes(ownCmdIdPrefix);
        _keepData = keepData;
    }

    public InboundMessage Parse(ReadOnlySpan<byte> json)
    {
        var m = new InboundMessage();
        bool hasResult = false, hasError = false;
        try
        {
            var r = new Utf8JsonReader(json, isFinalBlock: true, state: default);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return m;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("id"u8))
                {
                    r.Read();
                    ReadId(ref r, ref m);
                }
                else if (r.ValueTextEquals("result"u8))
                {
                    r.Read();
                    hasResult = true;
                    if (r.TokenType == JsonTokenType.StartObject) ReadResult(ref r, ref m);
                    else r.Skip();
                }
                else if (r.ValueTextEquals("error"u8))
                {
                    r.Read();
                    hasError = true;
                    if (r.TokenType == JsonTokenType.StartObject) ReadErrorObject(ref r, ref m);
                    else r.Skip();
                }
                else if (r.ValueTextEquals("method"u8))
                {
                    r.Read();
                    m.Method = r.TokenType == JsonTokenType.String ? Classify(ref r) : NoteMethod.Other;
                    if (r.TokenType != JsonTokenType.String) r.Skip();
                }
                else if (r.ValueTextEquals("params"u8))
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.StartObject) ReadParams(ref r, ref m);
                    else r.Skip();
                }
                else
                {
                    r.Read();
                    r.Skip();
                }
            }
        }
        catch (JsonException)
        {
            m.Kind = FrameKind.Invalid;
            return m;
        }

        if (m.Method != NoteMethod.None && !m.HasId) m.Kind = FrameKind.Notification;
        else if (hasError) m.Kind = FrameKind.ErrorReply;
        else if (hasResult) m.Kind = FrameKind.Reply;
        else m.Kind = FrameKind.Invalid;
        return m;
    }

    private static NoteMethod Classify(ref Utf8JsonReader r)
    {
        if (r.ValueTextEquals("Event"u8)) return NoteMethod.Event;
        if (r.ValueTextEquals("Ended"u8)) return NoteMethod.Ended;
        if (r.ValueTextEquals("Error"u8)) return NoteMethod.Error;
        return NoteMethod.Other;
    }

    private static void ReadId(ref Utf8JsonReader r, ref InboundMessage m)
    {
        m.HasId = true;
        switch (r.TokenType)
        {
            case JsonTokenType.Number:
                m.IdNumeric = r.TryGetInt64(out m.Id);
                break;
            case JsonTokenType.String:
                m.IdNumeric = !r.ValueIsEscaped && Utf8Parser.TryParse(r.ValueSpan, out m.Id, out int consumed) && consumed == r.ValueSpan.Length;
                break;
            case JsonTokenType.Null:
                m.HasId = false; // JSON-RPC error replies to unparsable frames carry id null
                m.IdNumeric = false;
                break;
            default:
                r.Skip();
                break;
        }
    }

    private void ReadCmdId(ref Utf8JsonReader r, ref InboundMessage m)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            r.Skip();
            return;
        }
        if (!r.ValueIsEscaped && !r.HasValueSequence)
        {
            var span = r.ValueSpan;
            if (span.Length > _prefix.Length && span.StartsWith(_prefix)
                && Utf8Parser.TryParse(span[_prefix.Length..], out long n, out int consumed) && consumed == span.Length - _prefix.Length && n > 0)
            {
                m.CmdIdKind = CmdIdKind.Own;
                m.OwnN = n;
                return;
            }
        }
        m.CmdIdKind = CmdIdKind.Foreign;
        m.ForeignCmdId = r.GetString();
    }

    private void ReadResult(ref Utf8JsonReader r, ref InboundMessage m)
    {
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("cmd_id"u8))
            {
                r.Read();
                ReadCmdId(ref r, ref m);
            }
            else if (r.ValueTextEquals("status"u8) || r.ValueTextEquals("event"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.String && r.ValueTextEquals("Started"u8)) m.Started = true;
                else r.Skip();
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
    }

    private static void ReadErrorObject(ref Utf8JsonReader r, ref InboundMessage m)
    {
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("code"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.Number && r.TryGetInt64(out long code))
                {
                    m.HasErrorCode = true;
                    m.ErrorCode = code;
                }
                else r.Skip();
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
    }

    private void ReadParams(ref Utf8JsonReader r, ref InboundMessage m)
    {
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("cmd_id"u8))
            {
                r.Read();
                ReadCmdId(ref r, ref m);
            }
            else if (r.ValueTextEquals("seq"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.Number && r.TryGetInt64(out long seq))
                {
                    m.HasSeq = true;
                    m.Seq = seq;
                }
                else r.Skip();
            }
            else if (r.ValueTextEquals("status"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.String) { r.Skip(); m.Status = EndStatus.Other; }
                else m.Status = r.ValueTextEquals("ok"u8) ? EndStatus.Ok : r.ValueTextEquals("failed"u8) ? EndStatus.Failed : EndStatus.Other;
            }
            else if (r.ValueTextEquals("event"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.String) m.Event = Classify(ref r);
                else r.Skip();
            }
            else if (r.ValueTextEquals("data"u8))
            {
                r.Read();
                if (_keepData && r.TokenType == JsonTokenType.String) m.Data = r.GetString();
                else r.Skip();
            }
            else if (r.ValueTextEquals("error"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.StartObject) ReadErrorObject(ref r, ref m);
                else r.Skip();
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
    }
}
