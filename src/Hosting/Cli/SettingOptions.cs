namespace CallCluster.Hosting.Cli;

/// <summary>The one table of operator settings: each executable's --help, its completions and its flags come from it,
/// and a test holds it to the <c>${?VAR}</c> lines of hocon/ both ways (every variable there is listed here, under the
/// key that reads it). README's environment table describes the same settings at length.</summary>
public static class SettingOptions
{
    public static IReadOnlyList<SettingOption> All { get; } =
    [
        // base.conf: every process.
        new("--log-format", "CALLCLUSTER_LOG_FORMAT", "callcluster.log-format", "base.conf", "text (one line per entry) or json (one object per line)"),
        new("--roles", "CALLCLUSTER_ROLES", "callcluster.roles", "base.conf", "cluster roles, comma-separated: call-node, gateway"),
        new("--seeds", "CALLCLUSTER_SEEDS", "callcluster.seeds", "base.conf", "seed nodes, comma-separated akka.tcp:// addresses (none: a one-node cluster)"),
        new("--discovery", "CALLCLUSTER_DISCOVERY", "callcluster.discovery", "base.conf", "static (the seeds) or kubernetes (Cluster Bootstrap)"),
        new("--akka-host", "CALLCLUSTER_AKKA_HOST", "akka.remote.dot-netty.tcp.hostname", "base.conf", "cluster remoting address to bind"),
        new("--akka-public-host", "CALLCLUSTER_AKKA_PUBLIC_HOST", "akka.remote.dot-netty.tcp.public-hostname", "base.conf", "cluster remoting address other members use"),
        new("--akka-port", "CALLCLUSTER_AKKA_PORT", "akka.remote.dot-netty.tcp.port", "base.conf", "cluster remoting TCP port"),
        new("--app-version", "CALLCLUSTER_APP_VERSION", "akka.cluster.app-version", "base.conf", "rolling updates: shards and singletons move to the newest version"),
        new("--admin-host", "CALLCLUSTER_ADMIN_HOST", "callcluster.admin.host", "base.conf", "admin endpoint address (callctl, /healthz, /metrics)"),
        new("--admin-port", "CALLCLUSTER_ADMIN_PORT", "callcluster.admin.port", "base.conf", "admin endpoint port (9110; taken and not asked for: any free port)"),
        new("--sbr-stable-after", "CALLCLUSTER_SBR_STABLE_AFTER", "callcluster.downing.stable-after", "base.conf", "how long unreachability must be stable before downing"),
        new("--down-removal-margin", "CALLCLUSTER_DOWN_REMOVAL_MARGIN", "callcluster.downing.down-removal-margin", "base.conf", "wait after a removal before shards and singletons move"),
        new("--dead-member-probe-timeout", "CALLCLUSTER_DEAD_MEMBER_PROBE_TIMEOUT", "callcluster.downing.dead-member-probe-timeout", "base.conf", "how long the dead-member probe waits for an answer"),
        new("--alive-grace", "CALLCLUSTER_ALIVE_GRACE", "callcluster.downing.alive-grace", "base.conf", "how long a member that answers the probe is left alone"),
        new("--management-host", "CALLCLUSTER_MANAGEMENT_HOST", "callcluster.management.host", "base.conf", "Akka.Management endpoint address (kubernetes discovery)"),
        new("--management-port", "CALLCLUSTER_MANAGEMENT_PORT", "callcluster.management.port", "base.conf", "Akka.Management endpoint port (kubernetes discovery)"),
        new("--bootstrap-label-selector", "CALLCLUSTER_BOOTSTRAP_LABEL_SELECTOR", "callcluster.bootstrap.pod-label-selector", "base.conf", "pods that are contact points"),
        new("--bootstrap-contact-points", "CALLCLUSTER_BOOTSTRAP_CONTACT_POINTS", "callcluster.bootstrap.required-contact-point-nr", "base.conf", "contact points needed to form a new cluster"),
        new(null, "CALLCLUSTER_TOKENS", "callcluster.security.tokens-env", "base.conf", "API tokens, hashes only: ID SHA256 SCOPES [DOMAINS]; ..."),
        new("--allowed-origins", "CALLCLUSTER_ALLOWED_ORIGINS", "callcluster.security.allowed-origins", "base.conf", "browser origins allowed to open a WebSocket"),
        new("--insecure", "CALLCLUSTER_INSECURE", "callcluster.security.insecure", "base.conf", "serve a non-loopback gateway without API tokens (warned every minute)"),
        new("--tls-cert", "CALLCLUSTER_TLS_CERT", "callcluster.security.tls.certificate", "base.conf", "gateway certificate (PEM or PKCS#12): wss:// and https://"),
        new("--tls-key", "CALLCLUSTER_TLS_KEY", "callcluster.security.tls.key", "base.conf", "the PEM certificate's key file"),
        new(null, "CALLCLUSTER_TLS_PASSWORD", "callcluster.security.tls.password", "base.conf", "the PKCS#12 certificate's password"),
        new("--compat-policy", "CALLCLUSTER_COMPAT_POLICY", "callcluster.security.compat.policy", "base.conf", "who may use the original dialect without a token: addresses or tokens"),
        new("--compat-allow", "CALLCLUSTER_COMPAT_ALLOW", "callcluster.security.compat.allow", "base.conf", "addresses the compat policy lets in"),
        new("--otlp-endpoint", "CALLCLUSTER_OTLP_ENDPOINT", "callcluster.tracing.otlp-endpoint", "base.conf", "OpenTelemetry collector URL for traces (none: tracing off; OTEL_EXPORTER_OTLP_ENDPOINT also works)"),

        // gateway.conf: processes serving the Call API.
        new("--ws-host", "CALLCLUSTER_WS_HOST", "callcluster.gateway.host", "gateway.conf", "Call API (WebSocket and REST) address"),
        new("--ws-port", "CALLCLUSTER_WS_PORT", "callcluster.gateway.port", "gateway.conf", "Call API (WebSocket and REST) port"),
        new("--ws-dialect", "CALLCLUSTER_WS_DIALECT", "callcluster.gateway.dialect", "gateway.conf", "dialect of the main Call API path"),
        new("--ws-compat-path", "CALLCLUSTER_WS_COMPAT_PATH", "callcluster.gateway.compat-path", "gateway.conf", "path of the original dialect"),
        new("--ws-native-path", "CALLCLUSTER_WS_NATIVE_PATH", "callcluster.gateway.native-path", "gateway.conf", "path of the native dialect"),

        // node.conf, persistence-*.conf, sandbox.conf: call nodes.
        new("--mi", "CALLCLUSTER_MI", "callcluster.mi.address", "node.conf", "OpenSIPS MI address host:port (none: the built-in simulator of src/Apps/Embedded)"),
        new("--evi-port", "CALLCLUSTER_EVI_PORT", "callcluster.evi.port", "node.conf", "UDP port OpenSIPS sends events to"),
        new("--evi-advertise", "CALLCLUSTER_EVI_ADVERTISE", "callcluster.evi.advertise", "node.conf", "event socket told to OpenSIPS, udp:host:port"),
        new("--evi-receive-buffer", "CALLCLUSTER_EVI_RECEIVE_BUFFER", "callcluster.evi.receive-buffer", "node.conf", "EVI socket receive buffer, bytes"),
        new("--next-hop", "CALLCLUSTER_NEXT_HOP", "callcluster.commands.call-start.next-hop", "node.conf", "SIP URI click-to-dial INVITEs loop through"),
        new("--command-retention", "CALLCLUSTER_COMMAND_RETENTION", "callcluster.commands.retention", "node.conf", "how long ended commands stay in the journal (0: forever)"),
        new("--webhook-url", "CALLCLUSTER_WEBHOOK_URL", "callcluster.webhooks.url", "node.conf", "endpoint that receives call events"),
        new(null, "CALLCLUSTER_WEBHOOK_SECRET", "callcluster.webhooks.secret", "node.conf", "the webhook signature secret"),
        new("--db", "CALLCLUSTER_DB", "callcluster.persistence.sqlite-file", "persistence-sqlite.conf", "SQLite journal file"),
        new(null, "CALLCLUSTER_PG", "callcluster.persistence.postgres-connection-string", "persistence-postgres.conf", "PostgreSQL connection string (set: the journal is there)"),
        new("--sim-mi-port", "CALLCLUSTER_SIM_MI_PORT", "callcluster.simulator.mi-port", "sandbox.conf", "built-in simulator's MI port (8080; taken and not asked for: any free port)"),
    ];

    /// <summary>The settings a process that loads <paramref name="layers"/> offers.</summary>
    public static IReadOnlyList<SettingOption> For(IEnumerable<string> layers)
    {
        var loaded = layers.ToHashSet(StringComparer.Ordinal);
        return All.Where(s => loaded.Contains(s.Layer)).ToList();
    }
}
