using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace CallCluster.Simulator.Mi;

/// <summary>Parses one MI datagram with Utf8JsonReader (no DOM), the way mi_datagram reads it: one JSON object per datagram.</summary>
public static class MiRequestParser
{
    /// <summary>Returns null when the datagram is not valid JSON (OpenSIPS replies plain "400 Parse_error").</summary>
    public static MiRequest? Parse(ReadOnlySpan<byte> datagram)
    {
        try
        {
            var reader = new Utf8JsonReader(datagram, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read()) return null;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                // Valid JSON but not an object: still has to be consumed fully to tell parse errors apart.
                reader.Skip();
                while (reader.Read()) { }
                return new MiRequest(null, false, null, MiId.Null, false, MiParamsKind.None, true, [], []);
            }

            string? jsonrpc = null, method = null;
            bool methodPresent = false, idBad = false, paramsBad = false;
            var id = MiId.Absent;
            var kind = MiParamsKind.None;
            var named = ImmutableArray<KeyValuePair<string, MiValue>>.Empty;
            var positional = ImmutableArray<MiValue>.Empty;

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("jsonrpc"u8))
                {
                    jsonrpc = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (name.SequenceEqual("method"u8))
                {
                    methodPresent = reader.TokenType == JsonTokenType.String;
                    method = methodPresent ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (name.SequenceEqual("id"u8))
                {
                    (id, idBad) = ReadId(ref reader);
                }
                else if (name.SequenceEqual("params"u8))
                {
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.StartObject:
                            kind = MiParamsKind.Named; paramsBad = false;
                            named = ReadObject(ref reader, datagram);
                            break;
                        case JsonTokenType.StartArray:
                            kind = MiParamsKind.Positional; paramsBad = false;
                            positional = ReadArray(ref reader, datagram);
                            break;
                        default:
                            paramsBad = true;
                            reader.Skip();
                            break;
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            // Anything after the object makes the reader throw (single top-level value only).
            while (reader.Read()) { }
            return new MiRequest(jsonrpc, methodPresent, method, id, idBad, kind, paramsBad, named, positional);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static (MiId, bool) ReadId(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return (MiId.Of(reader.GetString()!), false);
            case JsonTokenType.Null: return (MiId.Null, false);
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var l)
                    ? (MiId.FromDouble(l), false)
                    : (MiId.FromDouble(reader.GetDouble()), false);
            default:
                reader.Skip();
                return (MiId.Null, true);
        }
    }

    private static ImmutableArray<KeyValuePair<string, MiValue>> ReadObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> src)
    {
        var b = ImmutableArray.CreateBuilder<KeyValuePair<string, MiValue>>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            var v = ReadValue(ref reader, src);
            // Duplicate keys: the last one wins, like a JSON object lookup.
            var idx = -1;
            for (var i = 0; i < b.Count; i++) if (b[i].Key == key) idx = i;
            if (idx >= 0) b[idx] = new(key, v); else b.Add(new(key, v));
        }
        return b.ToImmutable();
    }

    private static ImmutableArray<MiValue> ReadArray(ref Utf8JsonReader reader, ReadOnlySpan<byte> src)
    {
        var b = ImmutableArray.CreateBuilder<MiValue>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            b.Add(ReadValue(ref reader, src));
        return b.ToImmutable();
    }

    private static MiValue ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> src)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return MiValue.Str(reader.GetString()!);
            case JsonTokenType.Number: return new MiValue(MiValueKind.Number, Encoding.UTF8.GetString(reader.ValueSpan), default);
            case JsonTokenType.True: return new MiValue(MiValueKind.True, "true", default);
            case JsonTokenType.False: return new MiValue(MiValueKind.False, "false", default);
            case JsonTokenType.Null: return new MiValue(MiValueKind.Null, "", default);
            case JsonTokenType.StartArray: return new MiValue(MiValueKind.Array, "", ReadArray(ref reader, src));
            default:
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var end = (int)reader.BytesConsumed;
                return new MiValue(MiValueKind.Object, Encoding.UTF8.GetString(src[start..end]), default);
        }
    }
}
