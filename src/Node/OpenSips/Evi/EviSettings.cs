using Akka.Configuration;

namespace CallCluster.Node.OpenSips;

/// <summary>EVI listener settings, HOCON <c>callcluster.evi</c>.</summary>
/// <param name="BindHost">Local IPv4 address (or name) to bind; event_datagram sends over IPv4 only.</param>
/// <param name="Port">0 = any free port.</param>
/// <param name="Advertise">The socket string OpenSIPS is told; empty = <c>udp:&lt;bound ip&gt;:&lt;bound port&gt;</c>.</param>
public sealed record EviSettings(string BindHost, int Port, string Advertise)
{
    /// <summary>Kernel receive buffer: absorbs bursts while the stream is busy (events are never retransmitted).</summary>
    public int ReceiveBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Reads <c>callcluster.evi</c> from a root config (or the block itself).</summary>
    public static EviSettings FromConfig(Config config)
    {
        var evi = config.HasPath("callcluster.evi") ? config.GetConfig("callcluster.evi") : config;
        var port = evi.GetInt("port", 0);
        if (port is < 0 or > 65535) throw new ConfigurationException("callcluster.evi.port must be 0..65535");
        return new EviSettings(evi.GetString("bind-host", "127.0.0.1"), port, evi.GetString("advertise", "") ?? "")
        {
            ReceiveBufferBytes = evi.HasPath("receive-buffer-size") ? (int)(evi.GetByteSize("receive-buffer-size") ?? 0) : 4 * 1024 * 1024,
        };
    }
}

/// <summary>Listener counters since start.</summary>
public sealed record EviStats(long Received, long Malformed, long Ignored, long Routed);
