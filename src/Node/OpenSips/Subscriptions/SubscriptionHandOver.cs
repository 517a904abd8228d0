using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Node.OpenSips;

/// <summary>A call node that holds the EVI subscription and shuts down gracefully must give it away while its dialog
/// region still runs: left to the usual order, shards are handed off first and the singleton moves only when the
/// node exits, so events that still come to this node's listener in between are dropped (measured: ~1 s). So, first
/// in CoordinatedShutdown, such a node leaves the cluster (which starts the singleton's hand-over to the next oldest
/// call node) and waits, bounded, until the singleton no longer runs here.</summary>
public static class SubscriptionHandOver
{
    private const string SingletonPath = "/user/evi-subscription/singleton";

    public static void Register(ActorSystem system, TimeSpan timeout)
    {
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "hand-over-evi-subscription", async () =>
        {
            var cluster = Cluster.Get(system);
            var otherCallNodes = cluster.State.Members.Count(m =>
                m.Status == MemberStatus.Up && m.HasRole(ShardRegions.CallNodeRole) && !m.Address.Equals(cluster.SelfAddress));
            if (otherCallNodes == 0 || !await RunsHereAsync(system).ConfigureAwait(false))
            {
                return Akka.Done.Instance;
            }

            system.Log.Info("Leaving the cluster first to hand the EVI subscription over before the shards stop");
            cluster.Leave(cluster.SelfAddress);
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline && await RunsHereAsync(system).ConfigureAwait(false))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
            }

            return Akka.Done.Instance;
        });
    }

    private static async Task<bool> RunsHereAsync(ActorSystem system)
    {
        try
        {
            var identity = await system.ActorSelection(SingletonPath).Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(1))
                .ConfigureAwait(false);
            return identity.Subject is not null;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }
}
