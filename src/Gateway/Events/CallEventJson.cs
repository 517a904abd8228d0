using System.Globalization;
using System.Text.Json;
using CallCluster.Contracts.Events;

namespace CallCluster.Gateway.Events;

/// <summary>A call event's fields as JSON (docs/call-events.md), the same in a WebSocket CallEvent notification and in a
/// webhook body: <c>event, callid, seq, time, from, to, cmd_id</c>, then the fields only some events have.</summary>
public static class CallEventJson
{
    public static void WriteFields(Utf8JsonWriter w, CallEventRecorded e)
    {
        w.WriteString("event", e.Name);
        w.WriteString("callid", e.CallId);
        w.WriteNumber("seq", e.Seq);
        w.WriteString("time", DateTimeOffset.FromUnixTimeMilliseconds(e.AtMs)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        Nullable(w, "from", e.From);
        Nullable(w, "to", e.To);
        Nullable(w, "cmd_id", e.CmdId);
        if (e.Reason is not null) w.WriteString("reason", e.Reason);
        if (e.Leg is not null) w.WriteString("leg", e.Leg);
        if (e.Destination is not null) w.WriteString("destination", e.Destination);
        if (e.TransferCallId is not null) w.WriteString("transfer_callid", e.TransferCallId);
    }

    public static string Cursor(long offset) => offset.ToString(CultureInfo.InvariantCulture);

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
