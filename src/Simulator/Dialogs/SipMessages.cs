using System.Globalization;
using System.Text;

namespace CallCluster.Simulator.Dialogs;

/// <summary>Builds the "Message" text of t_uac_dlg replies: the final reply's headers and body, starting at the first header.</summary>
public static class SipMessages
{
    public const string OpenSipsServer = "OpenSIPS (4.0.1 (x86_64/linux))";
    public const string PhoneServer = "CallCluster simulated phone";

    public static string Reply(
        string proxyHostPort, string? recordRoute, string to, string? toTag, string from, string fromTag,
        string callId, string cseq, string server, string? contact, string? sdp)
    {
        var sb = new StringBuilder(512);
        if (recordRoute is not null) sb.Append("Record-Route: ").Append(recordRoute).Append("\r\n");
        sb.Append("Via: SIP/2.0/UDP ").Append(proxyHostPort).Append(";branch=").Append(SipIds.Branch()).Append("\r\n");
        sb.Append("To: ").Append(to);
        if (toTag is not null) sb.Append(";tag=").Append(toTag);
        sb.Append("\r\nFrom: ").Append(from).Append(";tag=").Append(fromTag).Append("\r\n");
        sb.Append("CSeq: ").Append(cseq).Append("\r\nCall-ID: ").Append(callId).Append("\r\n");
        sb.Append("Server: ").Append(server).Append("\r\n");
        if (contact is not null) sb.Append("Contact: <").Append(contact).Append(">\r\n");
        if (sdp is not null)
        {
            sb.Append("Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,INFO,MESSAGE,UPDATE,REFER\r\n");
            sb.Append("Content-Type: application/sdp\r\n");
            sb.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(sdp).ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n").Append(sdp);
        }
        else
        {
            sb.Append("Content-Length: 0\r\n\r\n");
        }
        return sb.ToString();
    }
}
