using System.Net;
using System.Net.Sockets;
using Akka.Configuration;

namespace CallCluster.Node.OpenSips;

/// <summary>MI pool settings, HOCON <c>callcluster.mi</c>.</summary>
public sealed record MiSettings(IPEndPoint Target, int Sockets, int MaxInFlight, TimeSpan RequestTimeout, TimeSpan InviteTimeout)
{
    /// <summary>How often each socket checks for expired requests (one sweep instead of a timer per request).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Kernel send/receive buffer per socket.</summary>
    public int SocketBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Retries of idempotent calls after a timeout (<see cref="MiMethods.IsIdempotent"/>), each with a new id;
    /// HOCON <c>retries</c>. 0 = report the first timeout.</summary>
    public int Retries { get; init; }

    /// <summary>First request id per socket; only tests move it (to reach the 2^31-1 wrap quickly).</summary>
    internal int FirstRequestId { get; init; } = 1;

    /// <summary>Reads <c>callcluster.mi</c> from a root config (or the block itself). The address is resolved once.</summary>
    public static MiSettings FromConfig(Config config)
    {
        var mi = Block(config);
        var address = mi.GetString("address", "");
        if (string.IsNullOrWhiteSpace(address))
            throw new ConfigurationException("callcluster.mi.address is empty; use FromConfig(config, target)");
        return FromConfig(config, ParseEndPoint(address));
    }

    /// <summary>As <see cref="FromConfig(Config)"/> but with a given target (e.g. an in-process simulator).</summary>
    public static MiSettings FromConfig(Config config, IPEndPoint target)
    {
        var mi = Block(config);
        var settings = new MiSettings(
            target,
            mi.GetInt("sockets", 4),
            mi.GetInt("max-in-flight", 20000),
            mi.GetTimeSpan("request-timeout", TimeSpan.FromSeconds(5)),
            mi.GetTimeSpan("invite-timeout", TimeSpan.FromSeconds(130)))
        {
            SweepInterval = mi.GetTimeSpan("sweep-interval", TimeSpan.FromMilliseconds(100)),
            Retries = mi.GetInt("retries", 2),
            SocketBufferBytes = mi.HasPath("socket-buffer-size") ? (int)(mi.GetByteSize("socket-buffer-size") ?? 0) : 4 * 1024 * 1024,
        };
        settings.Validate();
        return settings;
    }

    internal void Validate()
    {
        if (Sockets < 1) throw new ConfigurationException("callcluster.mi.sockets must be >= 1");
        if (Retries < 0) throw new ConfigurationException("callcluster.mi.retries must be >= 0");
        if (MaxInFlight < 1) throw new ConfigurationException("callcluster.mi.max-in-flight must be >= 1");
        if (RequestTimeout <= TimeSpan.Zero || InviteTimeout <= TimeSpan.Zero || SweepInterval <= TimeSpan.Zero)
            throw new ConfigurationException("callcluster.mi timeouts must be positive");
    }

    /// <summary>host:port; a host name is resolved once, IPv4 preferred (mi_datagram is UDP/IPv4 in practice).</summary>
    public static IPEndPoint ParseEndPoint(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            throw new ConfigurationException($"Bad MI address '{address}', expected host:port");
        var host = address[..colon];
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        var resolved = Dns.GetHostAddresses(host);
        var chosen = resolved.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? resolved.FirstOrDefault()
            ?? throw new ConfigurationException($"MI host '{host}' did not resolve");
        return new IPEndPoint(chosen, port);
    }

    private static Config Block(Config config) =>
        config.HasPath("callcluster.mi") ? config.GetConfig("callcluster.mi") : config;
}
