using Akka.Configuration;

namespace CallCluster.Node.Events;

/// <summary><c>callcluster.events</c> (docs/call-events.md).</summary>
/// <param name="Enabled">Off: dialogs emit nothing (no journal write, no dlg_list for the parties).</param>
/// <param name="PollInterval">How often a subscription or webhook endpoint that has caught up reads the log again:
/// the floor of event latency.</param>
/// <param name="Retention">The promise to subscribers: a cursor at most this old resumes without a gap.</param>
public sealed record EventsSettings(bool Enabled, TimeSpan PollInterval, TimeSpan Retention, int PageSize)
{
    public static EventsSettings FromConfig(Config config) => new(
        config.GetBoolean("callcluster.events.enabled", true),
        config.GetTimeSpan("callcluster.events.poll-interval", TimeSpan.FromMilliseconds(100)),
        config.GetTimeSpan("callcluster.events.retention", TimeSpan.FromHours(24)),
        config.GetInt("callcluster.events.page-size", 500));
}
