using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Node.OpenSips;

/// <summary>A call node that holds the EVI subscription and shuts down gracefully must give it away while its dialog
/// region still runs: left to the usual order, shards are handed off first and the singleton moves only when the
/// node exits, so events that still come to this node's listener in between are dropped (measured: ~1 s). So, first
/// in CoordinatedShutdown, such a node leaves the cluster (which starts the singleton's hand-over to the next oldest
/// call node), waits, bounded, until the singleton no longer runs here and the next one reports every event
/// subscribed, and only then withdraws its own socket's subscription (make before break, see
/// <see cref="SubscriptionSingleton"/>).</summary>
public static class SubscriptionHandOver
{
    private const string SingletonPath = "/user/evi-subscription/singleton";

    public static void Register(ActorSystem system, TimeSpan timeout, IActorRef miPool, IActorRef subscriptionProxy,
        string ownSocket, SubscriptionSettings settings)
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

            while (DateTime.UtcNow < deadline && !await SubscribedElsewhereAsync(subscriptionProxy, ownSocket).ConfigureAwait(false))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
            }

            await WithdrawAsync(system, miPool, ownSocket, settings).ConfigureAwait(false);
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

    /// <summary>The next singleton runs on another node and has every event subscribed for its own socket.</summary>
    private static async Task<bool> SubscribedElsewhereAsync(IActorRef subscriptionProxy, string ownSocket)
    {
        try
        {
            var status = await subscriptionProxy.Ask<SubscriptionStatus>(GetSubscriptionStatus.Instance, TimeSpan.FromSeconds(1))
                .ConfigureAwait(false);
            return status.Socket != ownSocket && status.Events.All(e => e.Subscribed);
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }

    /// <summary><c>event_subscribe</c> with expire 0 for this node's socket, each event once, bounded; an event whose
    /// withdrawal is not confirmed expires on its own.</summary>
    private static async Task WithdrawAsync(ActorSystem system, IActorRef miPool, string ownSocket, SubscriptionSettings settings)
    {
        var withdrawals = settings.Events.Select(async evt =>
        {
            try
            {
                var outcome = await miPool.Ask<MiOutcome>(new MiCall("event_subscribe",
                    [new("event", evt), new("socket", ownSocket), new("expire", 0)]), TimeSpan.FromSeconds(3)).ConfigureAwait(false);
                return outcome is MiSuccess ? null : evt;
            }
            catch (AskTimeoutException)
            {
                return evt;
            }
        });
        var failed = (await Task.WhenAll(withdrawals).ConfigureAwait(false)).Where(e => e is not null).ToList();
        if (failed.Count == 0)
        {
            system.Log.Info("EVI subscription of {0} withdrawn after the next node subscribed", ownSocket);
        }
        else
        {
            system.Log.Warning("EVI unsubscribe not confirmed for {0} ({1}); they expire on their own", ownSocket, string.Join(",", failed));
        }
    }
}
