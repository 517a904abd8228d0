using Akka.Configuration;

namespace CallCluster.Node.Commands;

/// <summary><c>callcluster.commands.resumer.*</c> (docs/survival.md, "Nothing waits to be touched").</summary>
/// <param name="ScanInterval">A scan at start-up, after each call node removed, and this often (the safety net for a
/// command stopped by a journal failure that outlasted its own wake-up).</param>
/// <param name="Settle">The watermark only moves past journal offsets seen at least this long ago: PostgreSQL hands out
/// offsets before commit, so a lower offset can still appear after a higher one; no write stays open this long.</param>
/// <param name="WakeRetry">A woken command that has not answered is woken again this often (its wake-up may have gone
/// to a region that was still routing to the lost node).</param>
/// <param name="WakeGiveUp">After this long without an answer the command is left to the next scan.</param>
public sealed record CommandResumerSettings(TimeSpan ScanInterval, TimeSpan Settle, TimeSpan WakeRetry, TimeSpan WakeGiveUp)
{
    public static CommandResumerSettings FromConfig(Config config) => new(
        config.GetTimeSpan("callcluster.commands.resumer.scan-interval", TimeSpan.FromSeconds(30)),
        config.GetTimeSpan("callcluster.commands.resumer.settle", TimeSpan.FromSeconds(10)),
        config.GetTimeSpan("callcluster.commands.resumer.wake-retry", TimeSpan.FromMilliseconds(500)),
        config.GetTimeSpan("callcluster.commands.resumer.wake-give-up", TimeSpan.FromSeconds(60)));
}
