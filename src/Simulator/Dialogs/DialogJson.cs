using System.Globalization;
using System.Text.Json;

namespace CallCluster.Simulator.Dialogs;

/// <summary>Writes a dialog the way dlg_list does (field names and order from the captures).</summary>
public static class DialogJson
{
    public static void Write(Utf8JsonWriter w, DialogSnapshot d, string bindAddr)
    {
        w.WriteStartObject();
        w.WriteString("ID", d.Id.ToString());
        w.WriteString("db_id", d.Id.DbIdText);
        w.WriteNumber("state", d.State);
        w.WriteString("user_flags", "");
        w.WriteNumber("timestart", d.TimeStart);
        if (d.TimeStart > 0) w.WriteString("datestart", Date(d.TimeStart));
        // Ended dialogs show timeout 0 and no dateout; live ones the default 3600 s lifetime.
        var timeout = d.State is 5 || d.TimeStart == 0 ? 0 : d.TimeStart + 3600;
        w.WriteNumber("timeout", timeout);
        if (timeout > 0) w.WriteString("dateout", Date(timeout));
        w.WriteString("callid", d.CallId);
        w.WriteString("from_uri", d.FromUri);
        w.WriteString("to_uri", d.ToUri);
        w.WriteString("caller_tag", d.CallerTag);
        w.WriteString("caller_contact", d.CallerContact);
        w.WriteString("callee_cseq", d.CalleeCseq);
        w.WriteString("caller_route_set", "");
        w.WriteString("caller_bind_addr", bindAddr);
        // SDP is freed when the dialog ends.
        if (d.State != 5) w.WriteString("caller_sdp", d.CallerSdp);
        w.WriteStartArray("CALLEES");
        if (d.CalleeTag is not null)
        {
            w.WriteStartObject();
            w.WriteString("callee_tag", d.CalleeTag);
            w.WriteString("callee_contact", d.CalleeContact);
            w.WriteString("caller_cseq", d.CallerCseq);
            w.WriteString("callee_route_set", "");
            w.WriteString("callee_bind_addr", bindAddr);
            if (d.State != 5 && d.CalleeSdp is not null) w.WriteString("callee_sdp", d.CalleeSdp);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Date(long unix) =>
        DateTimeOffset.FromUnixTimeSeconds(unix).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
