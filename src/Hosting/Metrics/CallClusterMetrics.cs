using Akka.Actor;
using Akka.Cluster;
using Prometheus;

namespace CallCluster.Hosting.Metrics;

/// <summary>The Prometheus metrics of a CallCluster process (prometheus-net's default registry, scraped from the
/// admin endpoint's <c>/metrics</c>). Node and gateway code report through the one-line methods below; cluster
/// membership and shard gauges are kept up to date by <see cref="StartClusterCollector"/>.</summary>
public static class CallClusterMetrics
{
    public const string Prefix = "callcluster_";

    /// <summary>Seconds: 1 ms .. ~130 s (a t_uac_dlg INVITE can take the whole transaction timeout).</summary>
    private static readonly double[] DurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 130];

    public static readonly Counter CommandsStarted = Prometheus.Metrics.CreateCounter(
        Prefix + "commands_started_total", "Commands accepted, by JSON-RPC method.", "method");

    public static readonly Counter Commands = Prometheus.Metrics.CreateCounter(
        Prefix + "commands_total", "Commands ended, by JSON-RPC method and outcome (ok, failed).", "method", "outcome");

    public static readonly Histogram CommandDuration = Prometheus.Metrics.CreateHistogram(
        Prefix + "command_duration_seconds", "Time from a command's start to its Ended notification.",
        new HistogramConfiguration { LabelNames = ["method", "outcome"], Buckets = DurationBuckets });

    public static readonly Gauge CommandsInFlight = Prometheus.Metrics.CreateGauge(
        Prefix + "commands_in_flight", "Commands started and not yet ended in this process.");

    public static readonly Counter MiRequests = Prometheus.Metrics.CreateCounter(
        Prefix + "mi_requests_total", "MI requests sent to OpenSIPS, by MI method.", "method");

    public static readonly Counter MiTimeouts = Prometheus.Metrics.CreateCounter(
        Prefix + "mi_timeouts_total", "MI requests that got no reply in time, by MI method.", "method");

    public static readonly Counter MiErrors = Prometheus.Metrics.CreateCounter(
        Prefix + "mi_errors_total", "MI requests answered with an error, by MI method.", "method");

    public static readonly Histogram MiLatency = Prometheus.Metrics.CreateHistogram(
        Prefix + "mi_request_duration_seconds", "Time from an MI request to its reply, by MI method.",
        new HistogramConfiguration { LabelNames = ["method"], Buckets = DurationBuckets });

    public static readonly Counter EviReceived = Prometheus.Metrics.CreateCounter(
        Prefix + "evi_datagrams_received_total", "EVI datagrams received from OpenSIPS.");

    public static readonly Counter EviMalformed = Prometheus.Metrics.CreateCounter(
        Prefix + "evi_datagrams_malformed_total", "EVI datagrams that could not be parsed (dropped).");

    public static readonly Counter EviRouted = Prometheus.Metrics.CreateCounter(
        Prefix + "evi_events_routed_total", "EVI events routed to their dialog entity, by event name.", "event");

    public static readonly Counter EviKernelDrops = Prometheus.Metrics.CreateCounter(
        Prefix + "evi_kernel_drops_total",
        "EVI datagrams the kernel dropped because the listener's socket receive buffer was full (from /proc/net/udp; " +
        "absent where that is unavailable). OpenSIPS never resends them.");

    public static readonly Gauge WebSocketConnections = Prometheus.Metrics.CreateGauge(
        Prefix + "websocket_connections", "Open client WebSocket connections on this gateway.");

    public static readonly Counter WebSocketConnectionsOpened = Prometheus.Metrics.CreateCounter(
        Prefix + "websocket_connections_opened_total", "Client WebSocket connections accepted.");

    public static readonly Counter WebSocketConnectionsClosed = Prometheus.Metrics.CreateCounter(
        Prefix + "websocket_connections_closed_total",
        "Client WebSocket connections closed, by why: client (it closed), lost (broken, aborted, invalid UTF-8), " +
        "slow_client (its outbound queue went past its bound: closed with 1008), shutdown (1001).", "reason");

    public static readonly Counter RpcErrors = Prometheus.Metrics.CreateCounter(
        Prefix + "rpc_errors_total",
        "JSON-RPC requests the gateway answered with an error (or would have: a notification gets none), by error code " +
        "(-32700 parse, -32600 invalid request, -32601 method, -32602 params, -32000 server, -32001 unknown call, ...).",
        "code");

    public static readonly Gauge ClusterMembers = Prometheus.Metrics.CreateGauge(
        Prefix + "cluster_members", "Cluster members as this node sees them, by status (joining, up, leaving...).", "status");

    public static readonly Gauge ClusterUnreachable = Prometheus.Metrics.CreateGauge(
        Prefix + "cluster_unreachable_members", "Members this node's failure detector marks unreachable.");

    public static readonly Gauge ClusterSelfUp = Prometheus.Metrics.CreateGauge(
        Prefix + "cluster_self_up", "1 while this process is an Up member of the cluster, else 0.");

    public static readonly Gauge ClusterLeader = Prometheus.Metrics.CreateGauge(
        Prefix + "cluster_is_leader", "1 while this process is the cluster leader, else 0.");

    public static readonly Gauge Shards = Prometheus.Metrics.CreateGauge(
        Prefix + "shards", "Shards hosted by this process, by shard region type.", "type");

    public static readonly Gauge Entities = Prometheus.Metrics.CreateGauge(
        Prefix + "entities", "Entities alive in this process, by shard region type.", "type");

    public static readonly Counter JournalWrites = Prometheus.Metrics.CreateCounter(
        Prefix + "journal_writes_total",
        "Journal writes requested by entities (one per Persist/PersistAsync/PersistAll call: one atomic write, " +
        "however many events it holds), by entity type.", "entity");

    public static readonly Counter JournalWriteRequests = Prometheus.Metrics.CreateCounter(
        Prefix + "journal_write_requests_total",
        "Write requests the journal received, by entity type: one per round trip an entity waits for. Akka.Persistence " +
        "sends everything an entity persisted while its previous request was in flight as one request, so this is at " +
        "most journal_writes_total.", "entity");

    public static readonly Counter RecoveryReads = Prometheus.Metrics.CreateCounter(
        Prefix + "journal_recovery_reads_total",
        "Highest-sequence-number reads of recovering entities (one per entity start).");

    public static readonly Counter RecoveryReadQueries = Prometheus.Metrics.CreateCounter(
        Prefix + "journal_recovery_queries_total",
        "SQL queries that answered those reads: many reads of entities recovering at once share one query.");

    public static readonly Counter RecoveryReadsSkipped = Prometheus.Metrics.CreateCounter(
        Prefix + "journal_recovery_reads_skipped_total",
        "Entity starts that needed no journal read: a command whose cmd_id the gateway had just generated.");

    /// <summary>The metric names this class registers (tests check that <c>/metrics</c> exposes them).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        CommandsStarted.Name, Commands.Name, CommandDuration.Name, CommandsInFlight.Name,
        MiRequests.Name, MiTimeouts.Name, MiErrors.Name, MiLatency.Name,
        EviReceived.Name, EviMalformed.Name, EviRouted.Name, EviKernelDrops.Name,
        WebSocketConnections.Name, WebSocketConnectionsOpened.Name, WebSocketConnectionsClosed.Name, RpcErrors.Name,
        ClusterMembers.Name, ClusterUnreachable.Name, ClusterSelfUp.Name, ClusterLeader.Name,
        Shards.Name, Entities.Name, JournalWrites.Name, JournalWriteRequests.Name, RecoveryReads.Name, RecoveryReadQueries.Name,
        RecoveryReadsSkipped.Name,
    ];

    // ---- one-liners for the node and gateway code ----

    /// <summary>A command was accepted (its entity started it).</summary>
    public static void CommandStarted(string method)
    {
        CommandsStarted.WithLabels(method).Inc();
        CommandsInFlight.Inc();
    }

    /// <summary>A command sent its Ended notification; <paramref name="outcome"/> is <c>ok</c> or <c>failed</c>.
    /// Call once per <see cref="CommandStarted"/> (the in-flight gauge pairs them).</summary>
    public static void CommandEnded(string method, string outcome, TimeSpan duration)
    {
        Commands.WithLabels(method, outcome).Inc();
        CommandDuration.WithLabels(method, outcome).Observe(Math.Max(0, duration.TotalSeconds));
        CommandsInFlight.Dec();
    }

    /// <summary>An entity asked the journal for one atomic write.</summary>
    public static void JournalWrite(string entity) => JournalWrites.WithLabels(entity).Inc();

    /// <summary>The journal received one write request (one or more atomic writes of one entity).</summary>
    public static void JournalWriteRequest(string entity) => JournalWriteRequests.WithLabels(entity).Inc();

    /// <summary>One batched recovery query answered <paramref name="reads"/> reads.</summary>
    public static void RecoveryReadBatch(int reads)
    {
        RecoveryReads.Inc(reads);
        RecoveryReadQueries.Inc();
    }

    /// <summary>An entity known to be new recovered without a journal read.</summary>
    public static void RecoveryReadSkipped() => RecoveryReadsSkipped.Inc();

    public static void MiRequestSent(string method) => MiRequests.WithLabels(method).Inc();

    /// <summary>An MI reply arrived; <paramref name="error"/> when it was a JSON-RPC error or a plain-text failure.</summary>
    public static void MiReplyReceived(string method, TimeSpan latency, bool error = false)
    {
        MiLatency.WithLabels(method).Observe(Math.Max(0, latency.TotalSeconds));
        if (error)
        {
            MiErrors.WithLabels(method).Inc();
        }
    }

    public static void MiTimedOut(string method) => MiTimeouts.WithLabels(method).Inc();

    public static void EviDatagramReceived() => EviReceived.Inc();

    public static void EviDatagramMalformed() => EviMalformed.Inc();

    /// <summary>The kernel's drop counter of an EVI socket grew by <paramref name="count"/>.</summary>
    public static void EviKernelDropped(long count) => EviKernelDrops.Inc(count);

    /// <summary>An EVI event was handed to its dialog shard; <paramref name="eventName"/> e.g. E_DLG_STATE_CHANGED.</summary>
    public static void EviEventRouted(string eventName, int count = 1) => EviRouted.WithLabels(eventName).Inc(count);

    public static void WebSocketOpened()
    {
        WebSocketConnections.Inc();
        WebSocketConnectionsOpened.Inc();
    }

    /// <param name="reason">client, lost, slow_client or shutdown.</param>
    public static void WebSocketClosed(string reason = "client")
    {
        WebSocketConnections.Dec();
        WebSocketConnectionsClosed.WithLabels(reason).Inc();
    }

    /// <summary>A request was refused or failed with this JSON-RPC error code.</summary>
    public static void RpcError(int code) => RpcErrors.WithLabels(code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    /// <summary>Starts (once per ActorSystem) the actor that keeps the cluster-member gauges current from cluster
    /// events and refreshes the shard/entity gauges every <paramref name="refresh"/> from the local regions.
    /// <see cref="Admin.AdminServer"/> calls it; call it yourself only when running without the admin endpoint.</summary>
    public static IActorRef StartClusterCollector(ActorSystem system, TimeSpan refresh)
    {
        lock (Collectors)
        {
            if (!Collectors.TryGetValue(system, out var collector))
            {
                collector = system.ActorOf(Props.Create(() => new ClusterMetricsCollector(refresh)), "callcluster-metrics");
                Collectors.Add(system, collector);
            }

            return collector;
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorSystem, IActorRef> Collectors = new();

    internal static void UpdateMembers(ClusterEvent.CurrentClusterState state, Member self)
    {
        foreach (var status in Enum.GetValues<MemberStatus>())
        {
            ClusterMembers.WithLabels(status.ToString().ToLowerInvariant())
                .Set(state.Members.Count(m => m.Status == status));
        }

        ClusterUnreachable.Set(state.Unreachable.Count);
        ClusterSelfUp.Set(self.Status == MemberStatus.Up ? 1 : 0);
        ClusterLeader.Set(state.Leader is not null && state.Leader.Equals(self.Address) ? 1 : 0);
    }
}
