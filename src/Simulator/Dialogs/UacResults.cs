using System.Text.Json;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Dialogs;

/// <summary>The async t_uac_dlg reply shapes: 2xx with dialog data, other finals with Status + Message, local timeout with Status only.</summary>
public static class UacResults
{
    public static MiResult Dialog(string status, string ruri, string route, string message) => MiResult.Ok(w =>
    {
        w.WriteStartObject();
        w.WriteString("Status", status);
        w.WriteString("RURI", ruri);
        w.WriteString("Next-hop", route);
        w.WriteStartArray("Routes");
        w.WriteStringValue("<" + route + ">");
        w.WriteEndArray();
        w.WriteString("Message", message);
        w.WriteEndObject();
    });

    public static MiResult Final(string status, string? message) => MiResult.Ok(w =>
    {
        w.WriteStartObject();
        w.WriteString("Status", status);
        if (message is not null) w.WriteString("Message", message);
        w.WriteEndObject();
    });

    public static readonly MiResult Timeout = Final("408 Request Timeout", null);
}
