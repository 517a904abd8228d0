using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Gateway.Protocol;

/// <summary>Renders replies and notifications as UTF-8 frames, ready for the WebSocket.</summary>
public static class JsonRpcWriter
{
    // Frames go to WebSocket clients, not HTML: no need to escape '<', '&' or non-ASCII text.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // One writer per thread, reused: every method below runs synchronously, so nothing can interleave.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static byte[] Error(string idJson, RpcError error)
    {
        CallCluster.Hosting.Metrics.CallClusterMetrics.RpcError(error.Code);
        var w = Begin(idJson);
        w.WriteStartObject("error");
        w.WriteNumber("code", error.Code);
        w.WriteString("message", error.Message);
        if (error.Data is not null)
        {
            w.WriteString("data", error.Data);
        }

        w.WriteEndObject();
        return End(w);
    }

    public static byte[] Started(string idJson, string cmdId)
    {
        var w = Begin(idJson);
        w.WriteStartObject("result");
        w.WriteString("cmd_id", cmdId);
        w.WriteString("status", "Started");
        w.WriteEndObject();
        return End(w);
    }

    /// <summary>CallGet's result: the dialog's state (a name, and OpenSIPS's number as <c>state_code</c>), parties
    /// when known, hold per leg, when it started and the commands that acted on it.</summary>
    public static byte[] Call(string idJson, DialogView view)
    {
        var w = Begin(idJson);
        w.WritePropertyName("result");
        WriteCall(w, view, withCommands: true);
        return End(w);
    }

    /// <summary>CallList's result: <c>{"calls":[...],"next_cursor":..|null}</c>, each call as in CallGet without
    /// <c>cmd_ids</c> (a page of a thousand calls stays small).</summary>
    public static byte[] CallList(string idJson, IReadOnlyList<DialogView> calls, string? nextCursor)
    {
        var w = Begin(idJson);
        w.WriteStartObject("result");
        w.WriteStartArray("calls");
        foreach (var view in calls)
        {
            WriteCall(w, view, withCommands: false);
        }

        w.WriteEndArray();
        if (nextCursor is null)
        {
            w.WriteNull("next_cursor");
        }
        else
        {
            w.WriteString("next_cursor", nextCursor);
        }

        w.WriteEndObject();
        return End(w);
    }

    private static void WriteCall(Utf8JsonWriter w, DialogView view, bool withCommands)
    {
        w.WriteStartObject();
        w.WriteString("callid", view.CallId);
        if (view.DialogId is not null)
        {
            w.WriteString("dialog_id", view.DialogId);
        }

        w.WriteString("state", DialogStateNames.Of(view.State));
        w.WriteNumber("state_code", view.State);
        WriteNullable(w, "caller", view.Caller);
        WriteNullable(w, "callee", view.Callee);
        w.WriteStartObject("hold");
        w.WriteBoolean("caller", view.CallerHeld);
        w.WriteBoolean("callee", view.CalleeHeld);
        w.WriteEndObject();
        WriteNullable(w, "started_at", view.StartedAtMs > 0
            ? DateTimeOffset.FromUnixTimeMilliseconds(view.StartedAtMs).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)
            : null);
        if (withCommands)
        {
            w.WriteStartArray("cmd_ids");
            foreach (var cmdId in view.CmdIds)
            {
                w.WriteStringValue(cmdId);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
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

    /// <summary>EventsSubscribe's result: the subscription id and the cursor it starts after.</summary>
    public static byte[] EventsSubscribed(string idJson, string subscription, long cursor)
    {
        var w = Begin(idJson);
        w.WriteStartObject("result");
        w.WriteString("subscription", subscription);
        w.WriteString("cursor", Events.CallEventJson.Cursor(cursor));
        w.WriteEndObject();
        return End(w);
    }

    public static byte[] EventsUnsubscribed(string idJson, string subscription)
    {
        var w = Begin(idJson);
        w.WriteStartObject("result");
        w.WriteString("subscription", subscription);
        w.WriteString("status", "unsubscribed");
        w.WriteEndObject();
        return End(w);
    }

    public static byte[] Subscribed(string idJson, CommandSubscribed subscribed)
    {
        var w = Begin(idJson);
        w.WriteStartObject("result");
        w.WriteString("cmd_id", subscribed.CmdId);
        w.WriteString("status", subscribed.Status);
        w.WriteNumber("last_seq", subscribed.LastSeq);
        w.WriteEndObject();
        return End(w);
    }

    public static byte[] Snapshot(string idJson, CommandSnapshot snapshot)
    {
        var w = Begin(idJson);
        w.WriteStartObject("result");
        w.WriteString("cmd_id", snapshot.CmdId);
        w.WriteString("method", snapshot.Method);
        w.WriteStartObject("params");
        foreach (var (name, value) in snapshot.Params)
        {
            w.WriteString(name, value);
        }

        w.WriteEndObject();
        w.WriteString("status", snapshot.Status);
        w.WriteStartArray("notifications");
        foreach (var n in snapshot.Notifications)
        {
            w.WriteStartObject();
            WriteNotificationParams(w, n);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        return End(w);
    }

    public static byte[] Notification(CommandNotification n)
    {
        var w = Rent();
        w.WriteStartObject();
        w.WriteString("jsonrpc", "2.0");
        w.WriteString("method", n.Kind == NotificationKind.Ended ? "Ended" : "Event");
        w.WriteStartObject("params");
        WriteNotificationParams(w, n);
        w.WriteEndObject();
        return End(w);
    }

    /// <summary>A batch reply: the element replies (each a complete JSON object) as one array.</summary>
    public static byte[] Batch(IReadOnlyList<byte[]> replies)
    {
        var length = 2 + replies.Count - 1;
        foreach (var r in replies) length += r.Length;
        var frame = new byte[length];
        frame[0] = (byte)'[';
        var at = 1;
        for (var i = 0; i < replies.Count; i++)
        {
            if (i > 0) frame[at++] = (byte)',';
            replies[i].CopyTo(frame, at);
            at += replies[i].Length;
        }

        frame[at] = (byte)']';
        return frame;
    }

    private static void WriteNotificationParams(Utf8JsonWriter w, CommandNotification n)
    {
        w.WriteString("cmd_id", n.CmdId);
        w.WriteNumber("seq", n.Seq);
        if (n.Kind == NotificationKind.Ended)
        {
            w.WriteString("status", n.Status ?? CommandNotification.StatusOk);
            if (n.Error is { } error)
            {
                w.WriteStartObject("error");
                w.WriteNumber("code", error.Code);
                w.WriteString("message", error.Message);
                w.WriteEndObject();
            }

            return;
        }

        w.WriteString("data", n.Data);
        if (n.CallId is not null) w.WriteString("callid", n.CallId);
        if (n.Leg is not null) w.WriteString("leg", n.Leg);
        if (n.Destination is not null) w.WriteString("destination", n.Destination);
        if (n.SipStatus is not null) w.WriteString("sip_status", n.SipStatus);
    }

    private static Utf8JsonWriter Begin(string idJson)
    {
        var w = Rent();
        w.WriteStartObject();
        w.WriteString("jsonrpc", "2.0");
        w.WritePropertyName("id");
        // The parser checked it is one JSON string/number/null; echoed exactly as the client wrote it.
        w.WriteRawValue(idJson, skipInputValidation: true);
        return w;
    }

    private static Utf8JsonWriter Rent()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer, Options);
        w.Reset(buffer);
        return w;
    }

    private static byte[] End(Utf8JsonWriter w)
    {
        w.WriteEndObject();
        w.Flush();
        return t_buffer!.WrittenSpan.ToArray();
    }
}
