namespace CallCluster.Simulator.Dialogs;

/// <summary>The parts of a SIP URI the simulator needs: sip:user@host[:port][;params]. Angle brackets and display names are stripped.</summary>
public sealed record SipUri(string User, string Host, int? Port, string Params)
{
    /// <summary>The phone identity: sip:user@host.</summary>
    public string Aor => User.Length > 0 ? $"sip:{User}@{Host}" : $"sip:{Host}";

    public static SipUri? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text.Trim();
        var lt = s.IndexOf('<');
        if (lt >= 0)
        {
            var gt = s.IndexOf('>', lt);
            if (gt < 0) return null;
            s = s[(lt + 1)..gt];
        }
        if (s.StartsWith("sip:", StringComparison.OrdinalIgnoreCase)) s = s[4..];
        else if (s.StartsWith("sips:", StringComparison.OrdinalIgnoreCase)) s = s[5..];
        else return null;
        var q = s.IndexOf('?');
        if (q >= 0) s = s[..q];
        var semi = s.IndexOf(';');
        var pars = semi >= 0 ? s[semi..] : "";
        if (semi >= 0) s = s[..semi];
        var at = s.LastIndexOf('@');
        var user = at >= 0 ? s[..at] : "";
        var hostPort = at >= 0 ? s[(at + 1)..] : s;
        if (hostPort.Length == 0 || hostPort.Any(char.IsWhiteSpace) || user.Any(char.IsWhiteSpace)) return null;
        int? port = null;
        var colon = hostPort.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(hostPort[(colon + 1)..], out var p) || p is < 1 or > 65535) return null;
            port = p;
            hostPort = hostPort[..colon];
        }
        if (hostPort.Length == 0) return null;
        return new SipUri(user, hostPort, port, pars);
    }

    /// <summary>The URI text with its ;osid=… parameter removed (callops strips it from the transfer destination).</summary>
    public static string WithoutOsid(string uri)
    {
        var i = uri.IndexOf(";osid=", StringComparison.Ordinal);
        if (i < 0) return uri;
        var end = uri.IndexOf(';', i + 1);
        return end < 0 ? uri[..i] : uri[..i] + uri[end..];
    }
}
