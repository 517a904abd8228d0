using System.Text;
using System.Text.Json;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.OpenSips;

/// <summary>What one event datagram turned out to be.</summary>
public enum EviParseStatus
{
    /// <summary>A typed event to route.</summary>
    Event,
    /// <summary>A well-formed notification of an event we do not route.</summary>
    Ignored,
    /// <summary>Not JSON, not a notification, or missing/mistyped required params.</summary>
    Malformed,
}

/// <summary>Parses OpenSIPS event_datagram notifications (<c>{"jsonrpc":"2.0","method":EVENT,"params":{..}}</c>)
/// straight from the bytes. Accepts 3.x null params and 4.0 omitted params, any key order, and numeric strings
/// for integers. Pure and thread-safe.</summary>
public static class EviDatagramParser
{
    public const string DialogStateChanged = "E_DLG_STATE_CHANGED";
    public const string CallTransfer = "E_CALL_TRANSFER";
    public const string CallHold = "E_CALL_HOLD";

    /// <summary>True for a routable event (<paramref name="evt"/> set) and for an ignored, unknown event
    /// (<paramref name="evt"/> null); false with <paramref name="error"/> when malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out IEviEvent? evt, out string? error) =>
        Parse(datagram, out evt, out error) != EviParseStatus.Malformed;

    public static EviParseStatus Parse(ReadOnlySpan<byte> datagram, out IEviEvent? evt, out string? error)
    {
        evt = null;
        try
        {
            return ParseCore(datagram, out evt, out error);
        }
        catch (JsonException e)
        {
            error = "invalid JSON: " + e.Message;
            return EviParseStatus.Malformed;
        }
        catch (InvalidOperationException e)
        {
            error = "unexpected JSON: " + e.Message;
            return EviParseStatus.Malformed;
        }
    }

    private enum Kind { Missing, Unknown, DlgState, Transfer, Hold }

    private static EviParseStatus ParseCore(ReadOnlySpan<byte> datagram, out IEviEvent? evt, out string? error)
    {
        evt = null;
        var reader = new Utf8JsonReader(datagram, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return Fail("not a JSON object", out error);
        var kind = Kind.Missing;
        string? unknownName = null;
        var fields = new EviFields();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("method"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String) return Fail("method is not a string", out error);
                kind = reader.ValueTextEquals(DialogStateChanged) ? Kind.DlgState
                    : reader.ValueTextEquals(CallTransfer) ? Kind.Transfer
                    : reader.ValueTextEquals(CallHold) ? Kind.Hold
                    : Kind.Unknown;
                if (kind == Kind.Unknown) unknownName = reader.GetString();
            }
            else if (reader.ValueTextEquals("params"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    if (!fields.ReadParams(ref reader, out error)) return EviParseStatus.Malformed;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    return Fail("params is not an object", out error);
                }
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null) return Fail("has an id: a request, not a notification", out error);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) return Fail("not a JSON object", out error);
        if (reader.Read()) return Fail("trailing data after the object", out error);

        switch (kind)
        {
            case Kind.Missing:
                return Fail("no method", out error);
            case Kind.Unknown:
                error = "unrouted event " + unknownName;
                return EviParseStatus.Ignored;
        }
        if (string.IsNullOrEmpty(fields.CallId)) return Fail("missing callid", out error);
        error = null;
        switch (kind)
        {
            case Kind.DlgState:
                if (fields.DialogId is null) return Fail("missing id", out error);
                if (fields.OldState is not { } oldState || fields.NewState is not { } newState)
                    return Fail("missing old_state/new_state", out error);
                evt = new DialogStateChanged(fields.CallId, fields.DialogId, fields.DbId, fields.FromTag, fields.ToTag, oldState, newState);
                return EviParseStatus.Event;
            case Kind.Transfer:
                if (fields.State is null) return Fail("missing state", out error);
                evt = new CallTransferEvent(fields.CallId, fields.Leg, fields.TransferCallId, fields.Destination, fields.State, fields.Status);
                return EviParseStatus.Event;
            default:
                if (fields.Leg is null || fields.Action is null || fields.State is null)
                    return Fail("missing leg/action/state", out error);
                evt = new CallHoldEvent(fields.CallId, fields.Leg, fields.Action, fields.State);
                return EviParseStatus.Event;
        }
    }

    private static EviParseStatus Fail(string why, out string? error)
    {
        error = why;
        return EviParseStatus.Malformed;
    }

    /// <summary>Every param of the three events; filled in whatever order the keys come.</summary>
    private struct EviFields
    {
        public string? CallId, DialogId, DbId, FromTag, ToTag, Leg, TransferCallId, Destination, State, Status, Action;
        public int? OldState, NewState;

        public bool ReadParams(ref Utf8JsonReader reader, out string? error)
        {
            error = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                bool ok;
                if (reader.ValueTextEquals("callid"u8)) ok = ReadString(ref reader, out CallId, false);
                else if (reader.ValueTextEquals("id"u8)) ok = ReadString(ref reader, out DialogId, false);
                else if (reader.ValueTextEquals("db_id"u8)) ok = ReadString(ref reader, out DbId, false);
                else if (reader.ValueTextEquals("from_tag"u8)) ok = ReadString(ref reader, out FromTag, false);
                else if (reader.ValueTextEquals("to_tag"u8)) ok = ReadString(ref reader, out ToTag, false);
                else if (reader.ValueTextEquals("old_state"u8)) ok = ReadInt(ref reader, out OldState);
                else if (reader.ValueTextEquals("new_state"u8)) ok = ReadInt(ref reader, out NewState);
                else if (reader.ValueTextEquals("leg"u8)) ok = ReadString(ref reader, out Leg, true);
                else if (reader.ValueTextEquals("transfer_callid"u8)) ok = ReadString(ref reader, out TransferCallId, false);
                else if (reader.ValueTextEquals("destination"u8)) ok = ReadString(ref reader, out Destination, true);
                else if (reader.ValueTextEquals("state"u8)) ok = ReadString(ref reader, out State, true);
                else if (reader.ValueTextEquals("status"u8)) ok = ReadString(ref reader, out Status, true);
                else if (reader.ValueTextEquals("action"u8)) ok = ReadString(ref reader, out Action, true);
                else
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (!ok)
                {
                    error = "bad type for param " + Encoding.UTF8.GetString(name);
                    return false;
                }
            }
            return reader.TokenType == JsonTokenType.EndObject;
        }
    }

    /// <summary>A string param; null/omitted → null. Numbers are taken as their text.</summary>
    private static bool ReadString(ref Utf8JsonReader reader, out string? value, bool intern)
    {
        reader.Read();
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                value = (intern ? Interned(ref reader) : null) ?? reader.GetString();
                return true;
            case JsonTokenType.Null:
                value = null;
                return true;
            case JsonTokenType.Number:
                value = Encoding.UTF8.GetString(reader.ValueSpan);
                return true;
            default:
                value = null;
                return false;
        }
    }

    /// <summary>An integer param; numeric strings are tolerated; null/omitted → null.</summary>
    private static bool ReadInt(ref Utf8JsonReader reader, out int? value)
    {
        reader.Read();
        value = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt32(out var n):
                value = n;
                return true;
            case JsonTokenType.String when int.TryParse(reader.GetString(), out var s):
                value = s;
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                return false;
        }
    }

    // The few words the callops events repeat at 50,000 events/s: share one string instead of allocating.
    private static readonly string[] Common = ["", "start", "ok", "fail", "notify", "caller", "callee", "hold", "unhold", "unknown"];

    private static string? Interned(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > 7) return null;
        foreach (var word in Common)
            if (reader.ValueTextEquals(word)) return word;
        return null;
    }
}
