using System.Net;
using System.Net.Sockets;

namespace CallCluster.Gateway.Protocol;

/// <summary>The client protocol's SIP URI rule (docs/protocol.md, section 3): <c>sip:</c> or <c>sips:</c>, then <c>user@host</c> or
/// <c>host</c>, optional <c>:port</c> (1-65535) and <c>;name[=value]</c> parameters; no whitespace, no angle
/// brackets. Checked before anything reaches the proxy, so it is deliberately stricter than RFC 3261
/// (no headers, no user parameters).</summary>
public static class SipUri
{
    public const int MaxLength = 1024;

    public const string Rule =
        "must be a SIP URI: sip: or sips:, user@host or host, optional :port (1-65535) and ;parameters, no whitespace, no angle brackets";

    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        foreach (var ch in value)
        {
            if (char.IsWhiteSpace(ch) || char.IsControl(ch) || ch is '<' or '>')
            {
                return false;
            }
        }

        ReadOnlySpan<char> rest;
        if (value.StartsWith("sip:", StringComparison.OrdinalIgnoreCase))
        {
            rest = value.AsSpan(4);
        }
        else if (value.StartsWith("sips:", StringComparison.OrdinalIgnoreCase))
        {
            rest = value.AsSpan(5);
        }
        else
        {
            return false;
        }

        // Parameters start at the first ';' after the host part.
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (at == 0 || !IsUser(rest[..at]))
            {
                return false;
            }

            rest = rest[(at + 1)..];
        }

        var semi = rest.IndexOf(';');
        var hostPort = semi >= 0 ? rest[..semi] : rest;
        var parameters = semi >= 0 ? rest[(semi + 1)..] : ReadOnlySpan<char>.Empty;
        return IsHostPort(hostPort) && (semi < 0 || AreParameters(parameters));
    }

    private static bool IsUser(ReadOnlySpan<char> user)
    {
        foreach (var ch in user)
        {
            if (ch is '@' or ';' or '?' or '"' or '\\')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsHostPort(ReadOnlySpan<char> hostPort)
    {
        if (hostPort.IsEmpty)
        {
            return false;
        }

        ReadOnlySpan<char> host;
        ReadOnlySpan<char> port = default;
        var hasPort = false;
        if (hostPort[0] == '[')
        {
            var close = hostPort.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = hostPort[..(close + 1)];
            var after = hostPort[(close + 1)..];
            if (!after.IsEmpty)
            {
                if (after[0] != ':') return false;
                port = after[1..];
                hasPort = true;
            }
        }
        else
        {
            var colon = hostPort.IndexOf(':');
            host = colon >= 0 ? hostPort[..colon] : hostPort;
            if (colon >= 0)
            {
                port = hostPort[(colon + 1)..];
                hasPort = true;
            }
        }

        return IsHost(host) && (!hasPort || IsPort(port));
    }

    private static bool IsPort(ReadOnlySpan<char> port) =>
        port.Length is > 0 and <= 5 && IsAllDigits(port) && int.Parse(port) is >= 1 and <= 65535;

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        foreach (var ch in s)
        {
            if (!char.IsAsciiDigit(ch)) return false;
        }

        return true;
    }

    private static bool IsHost(ReadOnlySpan<char> host)
    {
        if (host.IsEmpty || host.Length > 255)
        {
            return false;
        }

        if (host[0] == '[')
        {
            return host.Length > 2 && host[^1] == ']'
                && IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6;
        }

        // A hostname (labels of letters, digits, '-') or an IPv4 address; an optional trailing dot (FQDN).
        if (host[^1] == '.')
        {
            host = host[..^1];
        }

        var allDigitsAndDots = true;
        var labels = 0;
        foreach (var range in host.Split('.'))
        {
            var label = host[range];
            if (label.IsEmpty || label.Length > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (var ch in label)
            {
                if (!char.IsAsciiLetterOrDigit(ch) && ch != '-') return false;
                if (!char.IsAsciiDigit(ch)) allDigitsAndDots = false;
            }

            labels++;
        }

        // Digits-only hosts must be a well-formed dotted-quad IPv4 address.
        return !allDigitsAndDots || (labels == 4 && IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork);
    }

    private static bool AreParameters(ReadOnlySpan<char> parameters)
    {
        foreach (var range in parameters.Split(';'))
        {
            var p = parameters[range];
            var eq = p.IndexOf('=');
            var name = eq >= 0 ? p[..eq] : p;
            if (name.IsEmpty || !IsToken(name))
            {
                return false;
            }

            if (eq >= 0)
            {
                var v = p[(eq + 1)..];
                if (v.IsEmpty || v.IndexOfAny('@', '?', '=') >= 0) return false;
            }
        }

        return true;
    }

    private static bool IsToken(ReadOnlySpan<char> s)
    {
        foreach (var ch in s)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && "-.!%*_+`'~".IndexOf(ch) < 0) return false;
        }

        return true;
    }
}
