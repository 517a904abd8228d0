using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Dialogs;

/// <summary>A t_uac_dlg request after tm's checks (mi_check_msg): header block parsed, '!!' replaced.</summary>
public sealed record UacRequest(
    string Method,
    SipUri Ruri,
    bool ViaProxy,
    string FromValue,
    SipUri FromUri,
    string? FromTag,
    string ToValue,
    SipUri ToUri,
    string? ToTag,
    string? CallId,
    string CSeq,
    string? Contact,
    string? Body)
{
    public static MiResult? Parse(MiArgs args, string proxyIp, int sipPort, out UacRequest? request)
    {
        request = null;
        var method = args.Str("method") ?? "";
        var ruri = SipUri.Parse(args.Str("ruri"));
        if (ruri is null) return MiResult.Error(400, "Invalid ruri");
        var viaProxy = false;
        if (args.Has("next_hop"))
        {
            var hop = SipUri.Parse(args.Str("next_hop"));
            if (hop is null) return MiResult.Error(400, "Invalid next_hop");
            viaProxy = (hop.Host == proxyIp || hop.Host == "localhost") && (hop.Port ?? 5060) == sipPort;
        }
        if (args.Has("socket") && args.Str("socket") != $"udp:{proxyIp}:{sipPort}") return MiResult.Error(404, "Local socket not found");

        // Escaped \r\n in the text count as CRLF too; '!!' stands for the outgoing socket.
        var headers = (args.Str("headers") ?? "").Replace("\\r\\n", "\r\n", StringComparison.Ordinal)
            .Replace("!!", $"{proxyIp}:{sipPort}", StringComparison.Ordinal);
        string? from = null, to = null, callId = null, cseq = null, contact = null;
        bool hasLength = false, hasType = false;
        foreach (var raw in headers.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            switch (name)
            {
                case "from" or "f": from = value; break;
                case "to" or "t": to = value; break;
                case "call-id" or "i": callId = value; break;
                case "cseq": cseq = value; break;
                case "contact" or "m": contact = value; break;
                case "content-length" or "l": hasLength = true; break;
                case "content-type" or "c": hasType = true; break;
            }
        }
        if (from is null) return MiResult.Error(400, "From missing");
        if (to is null) return MiResult.Error(400, "To missing");
        var cseqText = $"10 {method}";
        if (cseq is not null)
        {
            var parts = cseq.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !string.Equals(parts[1], method, StringComparison.OrdinalIgnoreCase)) return MiResult.Error(400, "CSeq method mismatch");
            cseqText = $"{parts[0]} {parts[1]}";
        }
        var body = args.Str("body");
        if (!string.IsNullOrEmpty(body))
        {
            if (hasLength) return MiResult.Error(400, "Content-Length disallowed");
            if (!hasType) return MiResult.Error(400, "Content-Type missing");
        }
        var (fromValue, fromTag) = SplitTag(from);
        var (toValue, toTag) = SplitTag(to);
        var fromUri = SipUri.Parse(fromValue);
        var toUri = SipUri.Parse(toValue);
        if (fromUri is null) return MiResult.Error(400, "Bad From header");
        if (toUri is null) return MiResult.Error(400, "Bad To header");
        request = new UacRequest(method, ruri, viaProxy, fromValue, fromUri, fromTag, toValue, toUri, toTag, callId, cseqText,
            contact is null ? null : SipUri.Parse(contact) is { } c ? ContactText(contact) : null, body);
        return null;
    }

    private static (string Value, string? Tag) SplitTag(string header)
    {
        var gt = header.LastIndexOf('>');
        var i = header.IndexOf(";tag=", Math.Max(0, gt), StringComparison.OrdinalIgnoreCase);
        if (i < 0) return (header, null);
        var end = header.IndexOf(';', i + 1);
        var tag = end < 0 ? header[(i + 5)..] : header[(i + 5)..end];
        var rest = end < 0 ? header[..i] : header[..i] + header[end..];
        return (rest, tag);
    }

    /// <summary>The bare URI of a Contact header (no brackets, no header params).</summary>
    private static string ContactText(string contact)
    {
        var lt = contact.IndexOf('<');
        if (lt < 0) return contact.Split(';')[0].Trim();
        var gt = contact.IndexOf('>', lt);
        return gt < 0 ? contact[(lt + 1)..] : contact[(lt + 1)..gt];
    }

    /// <summary>The URI inside a From/To value, without brackets and parameters outside them.</summary>
    public static string UriText(string value)
    {
        var lt = value.IndexOf('<');
        if (lt < 0) return value.Split(';')[0].Trim();
        var gt = value.IndexOf('>', lt);
        return gt < 0 ? value[(lt + 1)..] : value[(lt + 1)..gt];
    }
}
