using System.Collections.Frozen;
using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway;

/// <summary>Gateway configuration, read from the HOCON block <c>callcluster.gateway</c>.</summary>
public sealed record GatewaySettings(
    string Host,
    int Port,
    string Path,
    int MaxFrameBytes,
    int MaxInFlightPerConnection,
    int OutboundBufferSize,
    TimeSpan AskTimeout,
    IReadOnlySet<string> EnabledMethods)
{
    public const string ConfigPath = "callcluster.gateway";

    /// <summary>A command in flight that has been quiet this long is subscribed again (it may have moved to another
    /// node after a failover, which does not know this connection).</summary>
    public TimeSpan ResubscribeAfter { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Bytes of replies and notifications a connection may have waiting to be sent (with
    /// <see cref="OutboundBufferSize"/> frames, whichever is reached first); past it a client that is not reading is
    /// closed with 1008. A frame larger than this is still sent when nothing else waits.</summary>
    public long OutboundBufferBytes { get; init; } = 1024 * 1024;

    /// <summary>SO_SNDBUF of accepted connections, in bytes (0 = the kernel's autotuning, up to net.ipv4.tcp_wmem's
    /// maximum). With <see cref="OutboundBufferBytes"/> it bounds what a client that never reads costs.</summary>
    public int SocketSendBufferBytes { get; init; }

    /// <summary>Parsed frames a connection may have waiting for its actor; past it the gateway stops reading that socket
    /// until the actor catches up (TCP pushes back on the client), so a client sending faster than it is served costs a
    /// bounded amount of memory.</summary>
    public int MaxPendingInboundFrames { get; init; } = 64;

    /// <summary>Most requests in one batch frame (-32600 for more, the connection stays open).</summary>
    public int MaxBatchSize { get; init; } = Protocol.RequestParser.DefaultMaxBatch;

    /// <summary>The dialect <see cref="Path"/> speaks. <see cref="WireDialect.Original"/> is for a migration where
    /// clients of the original Call API cannot be reconfigured to dial <see cref="CompatPath"/>.</summary>
    public WireDialect Dialect { get; init; } = WireDialect.Native;

    /// <summary>Where the original Call API's dialect is always served (docs/compat-dialect.md); null: nowhere else.</summary>
    public string? CompatPath { get; init; } = DefaultCompatPath;

    /// <summary>An extra path that always speaks the native dialect (useful when <see cref="Path"/> speaks the
    /// original one); null: none.</summary>
    public string? NativePath { get; init; }

    public const string DefaultCompatPath = "/call-api/compat";

    /// <summary>Every WebSocket path served and its dialect, <see cref="Path"/> first.</summary>
    public IReadOnlyList<(string Path, WireDialect Dialect)> Endpoints
    {
        get
        {
            var list = new List<(string, WireDialect)> { (Path, Dialect) };
            if (CompatPath is not null) list.Add((CompatPath, WireDialect.Original));
            if (NativePath is not null) list.Add((NativePath, WireDialect.Native));
            return list;
        }
    }

    /// <summary>Every command and query the call nodes implement (CallList and CallGet need the dialog region).</summary>
    public static readonly IReadOnlySet<string> DefaultEnabledMethods = new[]
    {
        CommandMethods.CallStart, CommandMethods.CallBlindTransfer, CommandMethods.CallAttendedTransfer, CommandMethods.CallHold,
        CommandMethods.CallUnHold, CommandMethods.CallEnd, CommandMethods.CommandGet, CommandMethods.CommandSubscribe,
        CommandMethods.CallGet, CommandMethods.CallList, CommandMethods.EventsSubscribe, CommandMethods.EventsUnsubscribe,
    }.ToFrozenSet(StringComparer.Ordinal);

    public static GatewaySettings Default { get; } = new(
        "127.0.0.1", 5059, "/call-api", 64 * 1024, 1000, 1024, TimeSpan.FromSeconds(10), DefaultEnabledMethods);

    /// <summary>Reads <c>callcluster.gateway</c>; every missing key falls back to <see cref="Default"/>.</summary>
    public static GatewaySettings FromConfig(Akka.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = Default;
        var c = config.HasPath(ConfigPath) ? config.GetConfig(ConfigPath) : Akka.Configuration.Config.Empty;
        if (c is null || c.IsEmpty)
        {
            return d;
        }

        var methods = c.HasPath("enabled-methods")
            ? c.GetStringList("enabled-methods").ToFrozenSet(StringComparer.Ordinal)
            : d.EnabledMethods;
        var settings = new GatewaySettings(
            c.GetString("host", d.Host),
            c.GetInt("port", d.Port),
            c.GetString("path", d.Path),
            c.GetInt("max-frame-bytes", d.MaxFrameBytes),
            c.GetInt("max-in-flight-per-connection", d.MaxInFlightPerConnection),
            c.GetInt("outbound-buffer", d.OutboundBufferSize),
            c.GetTimeSpan("ask-timeout", d.AskTimeout),
            methods)
        {
            ResubscribeAfter = c.GetTimeSpan("resubscribe-after", d.ResubscribeAfter),
            OutboundBufferBytes = c.HasPath("outbound-buffer-bytes") ? c.GetByteSize("outbound-buffer-bytes") ?? d.OutboundBufferBytes : d.OutboundBufferBytes,
            SocketSendBufferBytes = c.HasPath("socket-send-buffer") ? (int)(c.GetByteSize("socket-send-buffer") ?? 0) : d.SocketSendBufferBytes,
            MaxBatchSize = c.GetInt("max-batch-size", d.MaxBatchSize),
            MaxPendingInboundFrames = c.GetInt("max-pending-inbound-frames", d.MaxPendingInboundFrames),
            Dialect = ParseDialect(c.GetString("dialect", "native")),
            // An empty string switches the extra path off (HOCON has no null an env variable could set).
            CompatPath = OptionalPath(c.GetString("compat-path", d.CompatPath)),
            NativePath = OptionalPath(c.GetString("native-path", "")),
        };
        settings.Validate();
        return settings;
    }

    private static string? OptionalPath(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static WireDialect ParseDialect(string value) => value.Trim().ToLowerInvariant() switch
    {
        "native" => WireDialect.Native,
        "original" or "compat" => WireDialect.Original,
        _ => throw new ArgumentException($"dialect must be native or original, not '{value}'", nameof(value)),
    };

    /// <summary>Fails fast on values that would make the gateway misbehave rather than refuse to start.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "0..65535");
        if (string.IsNullOrEmpty(Path) || Path[0] != '/') throw new ArgumentException("path must start with '/'", nameof(Path));
        if (MaxFrameBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxFrameBytes), MaxFrameBytes, ">= 1024");
        if (MaxInFlightPerConnection < 1) throw new ArgumentOutOfRangeException(nameof(MaxInFlightPerConnection), MaxInFlightPerConnection, ">= 1");
        if (OutboundBufferSize < 1) throw new ArgumentOutOfRangeException(nameof(OutboundBufferSize), OutboundBufferSize, ">= 1");
        if (OutboundBufferBytes < 1024) throw new ArgumentOutOfRangeException(nameof(OutboundBufferBytes), OutboundBufferBytes, ">= 1024");
        if (SocketSendBufferBytes < 0) throw new ArgumentOutOfRangeException(nameof(SocketSendBufferBytes), SocketSendBufferBytes, ">= 0");
        if (MaxPendingInboundFrames < 1) throw new ArgumentOutOfRangeException(nameof(MaxPendingInboundFrames), MaxPendingInboundFrames, ">= 1");
        if (MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, ">= 1");
        if (AskTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(AskTimeout), AskTimeout, "> 0");
        var paths = Endpoints.Select(e => e.Path).ToList();
        if (paths.Any(p => p[0] != '/')) throw new ArgumentException("compat-path and native-path must start with '/'", nameof(CompatPath));
        if (paths.Distinct(StringComparer.OrdinalIgnoreCase).Count() != paths.Count)
        {
            throw new ArgumentException($"path, compat-path and native-path must differ: {string.Join(", ", paths)}", nameof(CompatPath));
        }
    }
}
