using CallCluster.Hosting.Metrics;
using Prometheus;

namespace CallCluster.Node.Persistence;

/// <summary>The embedded journal's write-ahead log as the last background checkpoint saw it
/// (<see cref="SqliteWalCheckpointer"/>), in the registry the admin endpoint's <c>/metrics</c> serves.</summary>
public static class SqliteMetrics
{
    public static readonly Gauge WalFrames = Prometheus.Metrics.CreateGauge(
        CallClusterMetrics.Prefix + "sqlite_wal_frames",
        "Frames (pages) in SQLite's write-ahead log at the last background checkpoint.");

    public static readonly Gauge WalFramesNotCheckpointed = Prometheus.Metrics.CreateGauge(
        CallClusterMetrics.Prefix + "sqlite_wal_frames_not_checkpointed",
        "Frames the last background checkpoint could not copy into the database because a reader still used them; " +
        "staying high means a long read pins the log and it grows.");
}
