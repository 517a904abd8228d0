using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace CallCluster.Node.OpenSips;

internal enum MiReplyKind { Success, Error, PlainText, Malformed }

/// <summary>One parsed MI reply datagram. <see cref="Value"/> is a standalone copy (safe after the buffer is reused).</summary>
internal readonly record struct MiReply(MiReplyKind Kind, int Id, JsonElement Value, int Code, string? Message, string? Data)
{
    public static MiReply Malformed(string why) => new(MiReplyKind.Malformed, 0, default, 0, why, null);
}

/// <summary>Parses MI replies with a forward-only reader: OpenSIPS sends <c>id</c> last, so no lookahead is assumed.</summary>
internal static class MiReplyParser
{
    public static MiReply Parse(ReadOnlySpan<byte> datagram)
    {
        var trimmed = Trim(datagram);
        if (trimmed.IsEmpty) return MiReply.Malformed("empty datagram");
        if (trimmed[0] != (byte)'{') return ParsePlainText(trimmed);
        try
        {
            return ParseJson(trimmed);
        }
        catch (JsonException e)
        {
            return MiReply.Malformed("invalid JSON: " + e.Message);
        }
        catch (InvalidOperationException e)
        {
            return MiReply.Malformed("unexpected JSON type: " + e.Message);
        }
    }

    /// <summary><c>400 Parse_error</c> / <c>500 Internal error</c>: three digits, a space, a text.</summary>
    private static MiReply ParsePlainText(ReadOnlySpan<byte> text)
    {
        if (text.Length < 4 || text[3] != (byte)' ' || !Utf8Parser.TryParse(text[..3], out int code, out var used) || used != 3)
            return MiReply.Malformed("neither JSON nor a plain-text status");
        return new MiReply(MiReplyKind.PlainText, 0, default, code, Encoding.UTF8.GetString(text[4..]), null);
    }

    private static MiReply ParseJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return MiReply.Malformed("not a JSON object");
        int? id = null;
        JsonElement? result = null;
        (int Code, string Message, string? Data)? error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value))
                    return MiReply.Malformed("id is not an integer");
                id = value;
            }
            else if (reader.ValueTextEquals("result"u8))
            {
                reader.Read();
                result = JsonElement.ParseValue(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = ReadError(ref reader);
                if (error is null) return MiReply.Malformed("error is not an object with a code");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (id is null) return MiReply.Malformed("no id");
        if (error is { } e) return new MiReply(MiReplyKind.Error, id.Value, default, e.Code, e.Message, e.Data);
        if (result is { } r) return new MiReply(MiReplyKind.Success, id.Value, r, 0, null, null);
        return MiReply.Malformed("neither result nor error");
    }

    private static (int, string, string?)? ReadError(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) return null;
        int? code = null;
        string message = "";
        string? data = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var c)) code = c;
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : "";
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                data = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return code is { } value ? (value, message, data) : null;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> span)
    {
        int start = 0, end = span.Length;
        while (start < end && IsSpace(span[start])) start++;
        while (end > start && IsSpace(span[end - 1])) end--;
        return span[start..end];
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t' or 0;
}
