using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Evi;

/// <summary>Checks an event_subscribe request like OpenSIPS does. Runs outside actors because it may resolve a host name.</summary>
public static class SubscribeValidator
{
    public const int DefaultExpire = 3600;

    public static MiResult? Validate(MiArgs args, MiReplyTarget reply, out Subscribe? subscribe)
    {
        subscribe = null;
        var expire = DefaultExpire;
        if (args.TryGet("expire", out var ev))
        {
            if (!ev.TryGetInt(out expire)) return MiResult.InvalidParams("Bad type for parameter 'expire'");
            if (expire < 0) return MiResult.InvalidParams("Negative expire value");
        }
        var name = args.Str("event");
        var socket = args.Str("socket");
        if (name is null || EventCatalog.IdOf(name) < 0 || socket is null) return BadValue;
        var ep = ParseUdpSocket(socket);
        if (ep is null) return BadValue;
        subscribe = new Subscribe(name, socket, ep, expire, reply);
        return null;
    }

    private static readonly MiResult BadValue = MiResult.Error(400, "Bad parameter value");

    /// <summary>udp:host:port. The host ends at the first ':' (so no IPv6 literals); delivery is IPv4 only.</summary>
    public static IPEndPoint? ParseUdpSocket(string text)
    {
        if (!text.StartsWith("udp:", StringComparison.Ordinal)) return null;
        var rest = text.AsSpan(4);
        var colon = rest.IndexOf(':');
        if (colon <= 0) return null;
        var host = rest[..colon].ToString();
        if (!int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            return null;
        if (IPAddress.TryParse(host, out var ip))
            return ip.AddressFamily == AddressFamily.InterNetwork ? new IPEndPoint(ip, port) : null;
        try
        {
            // Resolved once, at subscribe time, like event_datagram.
            var found = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
            return found is null ? null : new IPEndPoint(found, port);
        }
        catch (SocketException) { return null; }
        catch (ArgumentException) { return null; }
    }
}
