using CallCluster.Hosting.Metrics;
using Prometheus;

namespace CallCluster.Node.Events.Metrics;

/// <summary>Call events and webhook deliveries (docs/call-events.md), in the registry the admin endpoint's
/// <c>/metrics</c> serves.</summary>
public static class EventMetrics
{
    public static readonly Counter EventsEmitted = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "call_events_emitted_total", "Call events written to the event log, by event name.", "event");

    public static readonly Counter EventsLost = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "call_events_lost_total", "Call events the journal failed or rejected, or dropped while too many waited for it (delivered to no one).");

    public static readonly Counter Deliveries = Prometheus.Metrics.CreateCounter(
        CallClusterMetrics.Prefix + "webhook_deliveries_total",
        "Webhook POST outcomes by endpoint: ok (2xx), retried (failed, to be tried again), dead (retry budget used up).",
        "endpoint", "outcome");

    public static readonly Histogram DeliveryLatency = Prometheus.Metrics.CreateHistogram(
        CallClusterMetrics.Prefix + "webhook_delivery_latency_seconds",
        "From a call event's time to the 2xx of its webhook POST, retries included, by endpoint.",
        new HistogramConfiguration
        {
            LabelNames = ["endpoint"],
            Buckets = [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
        });

    public static IReadOnlyList<string> Names { get; } =
        [EventsEmitted.Name, EventsLost.Name, Deliveries.Name, DeliveryLatency.Name];

    public static void Emitted(string name) => EventsEmitted.WithLabels(name).Inc();

    public static void Lost(int count = 1) => EventsLost.Inc(count);

    public static void Delivered(string endpoint, TimeSpan latency)
    {
        Deliveries.WithLabels(endpoint, "ok").Inc();
        DeliveryLatency.WithLabels(endpoint).Observe(Math.Max(0, latency.TotalSeconds));
    }

    public static void Retried(string endpoint) => Deliveries.WithLabels(endpoint, "retried").Inc();

    public static void Dead(string endpoint) => Deliveries.WithLabels(endpoint, "dead").Inc();
}
