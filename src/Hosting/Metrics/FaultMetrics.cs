using Prometheus;

namespace CallCluster.Hosting.Metrics;

/// <summary>Counters of the faults the node rides out (docs/faults-and-bad-input.md, "Proxy and journal faults"):
/// MI requests retried and replies that came too late, EVI subscriptions the proxy lost and the node restored, checks
/// with the proxy when an expected event did not come, and journal failures. Same registry as
/// <see cref="CallClusterMetrics"/>, scraped from the admin endpoint's <c>/metrics</c>.</summary>
public static class FaultMetrics
{
    public static readonly Counter MiRetries = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "mi_retries_total",
        "Idempotent MI requests sent again (with a new id) after an attempt got no reply in time, by MI method.", "method");

    public static readonly Counter MiLateReplies = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "mi_late_replies_total",
        "MI replies discarded because their request had already timed out or been answered (never handed to another request).");

    public static readonly Counter EviResubscriptions = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "evi_resubscriptions_total",
        "EVI subscriptions sent again because the proxy no longer listed this node's socket (it restarted), by event.", "event");

    public static readonly Counter ProxyChecks = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "proxy_reconciliations_total",
        "dlg_list checks a command made because an expected MI reply or EVI event had not come, by what was awaited.", "awaiting");

    public static readonly Counter JournalFailures = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "journal_failures_total",
        "Journal operations that failed, by entity type and kind (recovery, persist, rejected).", "entity", "kind");

    public static readonly Counter HandOffRedeliveries = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "handoff_redeliveries_total",
        "Command and dialog messages that Akka sharding lost while a shard moved (dropped at hand-off, left in a stopping entity, unhandled by a shard handing off) and this node sent again, by region and " +
        "where to (local: this node's region; remote: another call node's, as this node leaves; lost: no call node to take it).",
        "region", "to");

    /// <summary>The metric names this class registers.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [MiRetries.Name, MiLateReplies.Name, EviResubscriptions.Name, ProxyChecks.Name, JournalFailures.Name, HandOffRedeliveries.Name];

    public static void MiRetried(string method) => MiRetries.WithLabels(method).Inc();

    public static void MiLateReply() => MiLateReplies.Inc();

    public static void EviResubscribed(string eventName) => EviResubscriptions.WithLabels(eventName).Inc();

    public static void ProxyChecked(string awaiting) => ProxyChecks.WithLabels(awaiting).Inc();

    public static void JournalFailed(string entity, string kind) => JournalFailures.WithLabels(entity, kind).Inc();

    public static void HandOffRedelivered(string region, string to) => HandOffRedeliveries.WithLabels(region, to).Inc();
}
