using Akka.Configuration;

namespace CallCluster.Node.Dialogs;

public sealed record DialogSettings(TimeSpan EndedLinger)
{
    public static DialogSettings FromConfig(Config config) =>
        new(config.GetTimeSpan("callcluster.dialogs.ended-linger", TimeSpan.FromSeconds(30)));
}
