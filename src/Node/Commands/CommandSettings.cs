using Akka.Configuration;

namespace CallCluster.Node.Commands;

public sealed record CommandSettings(TimeSpan EndConfirmTimeout, TimeSpan DialogAttachRetry, TimeSpan EndedLinger)
{
    public static CommandSettings FromConfig(Config config) => new(
        config.GetTimeSpan("callcluster.commands.end-confirm-timeout", TimeSpan.FromSeconds(10)),
        config.GetTimeSpan("callcluster.commands.dialog-attach-retry", TimeSpan.FromSeconds(2)),
        config.GetTimeSpan("callcluster.commands.ended-linger", TimeSpan.FromSeconds(60)));
}
