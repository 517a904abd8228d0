using Akka.Configuration;

namespace CallCluster.Node.OpenSips;

/// <summary>EVI listener settings, HOCON <c>callcluster.evi</c>.</summary>
/// <param name="BindHost">Local IPv4 address (or name) to bind; event_datagram sends over IPv4 only.</param>
/// <param name="Port">0 = any free port.</param>
/// <param name="Advertise">The socket string OpenSIPS is told; empty = <c>udp:&lt;bound ip&gt;:&lt;bound port&gt;</c>.</param>
public sealed record EviSettings(string BindHost, int Port, string Advertise)
{
    public const int DefaultReceiveBufferBytes = 32 * 1024 * 1024;
    public const int DefaultQueueSize = 65536;
    public const int DefaultParseParallelism = 2;
    public const int DefaultParseBatch = 256;

    /// <summary>Kernel receive buffer (<c>receive-buffer</c>): the last resort that absorbs a burst the process
    /// cannot take yet. Events are never retransmitted, so an overflow loses them.</summary>
    public int ReceiveBufferBytes { get; init; } = DefaultReceiveBufferBytes;

    /// <summary>Datagrams received and not yet parsed (<c>queue-size</c>). When full, the receive loop waits and the
    /// kernel buffer fills instead: memory stays bounded at about this many datagrams.</summary>
    public int QueueSize { get; init; } = DefaultQueueSize;

    /// <summary>Batches parsed at the same time (<c>parse-parallelism</c>); results are still routed in arrival order.</summary>
    public int ParseParallelism { get; init; } = DefaultParseParallelism;

    /// <summary>Most datagrams parsed as one batch (<c>parse-batch</c>); batches form only while parsing lags.</summary>
    public int ParseBatch { get; init; } = DefaultParseBatch;

    /// <summary>Reads <c>callcluster.evi</c> from a root config (or the block itself).</summary>
    public static EviSettings FromConfig(Config config)
    {
        var evi = config.HasPath("callcluster.evi") ? config.GetConfig("callcluster.evi") : config;
        var port = evi.GetInt("port", 0);
        if (port is < 0 or > 65535) throw new ConfigurationException("callcluster.evi.port must be 0..65535");
        var buffer = evi.HasPath("receive-buffer") ? evi.GetByteSize("receive-buffer") ?? 0 : DefaultReceiveBufferBytes;
        if (buffer is < 4096 or > int.MaxValue)
            throw new ConfigurationException("callcluster.evi.receive-buffer must be 4KiB..2GiB");
        var settings = new EviSettings(evi.GetString("bind-host", "127.0.0.1"), port, evi.GetString("advertise", "") ?? "")
        {
            ReceiveBufferBytes = (int)buffer,
            QueueSize = evi.GetInt("queue-size", DefaultQueueSize),
            ParseParallelism = evi.GetInt("parse-parallelism", DefaultParseParallelism),
            ParseBatch = evi.GetInt("parse-batch", DefaultParseBatch),
        };
        if (settings.QueueSize < 1 || settings.ParseParallelism < 1 || settings.ParseBatch < 1)
            throw new ConfigurationException("callcluster.evi.queue-size, parse-parallelism and parse-batch must be positive");
        return settings;
    }
}

/// <summary>Listener counters since start. <paramref name="KernelDrops"/>: datagrams the kernel dropped on the
/// listener's socket (receive buffer full), as of the last poll; null where /proc/net/udp is unavailable.</summary>
public sealed record EviStats(long Received, long Malformed, long Ignored, long Routed, long? KernelDrops = null)
{
    /// <summary>Datagrams that found the parse queue full (the receive loop then waited, leaving the kernel buffer to
    /// absorb the burst). Non-zero means parsing/routing, not receiving, is the limit.</summary>
    public long QueueFull { get; init; }
}
