using Akka.Actor;
using Akka.Cluster;

namespace CallCluster.Node.Sharding;

/// <summary>Where an entity that stops because its shard moves sends what its next incarnation must get (a dialog's
/// watchers and recent events, a command's own wake-up).
///
/// Why not always its own region: the region buffers a message for a moving shard until the coordinator names the
/// shard's new home. While the node stays, that answer comes and the region delivers. When the node is leaving, its
/// regions stop first ("Graceful shutdown of shard region timed out ... remaining buffered messages [N]"), and the
/// coordinator is often moving with it (it lives on the oldest node); what they buffered is lost. A rolling restart
/// lost a dialog's watchers that way, and the CallStart whose transfer events then reached nobody failed. So a leaving
/// node sends to the region of the oldest other Up call node, which hosts the coordinators once this node has gone —
/// the same rule <see cref="HandOffRedelivery"/> follows.</summary>
public static class HandOverRoute
{
    public static void Tell(IActorContext context, IActorRef localRegion, string regionName, object message)
    {
        var system = context.System;
        if (((ExtendedActorSystem)system).Provider is not IClusterActorRefProvider || !IsLeaving(system))
        {
            localRegion.Tell(message, ActorRefs.NoSender);
            return;
        }

        var cluster = Cluster.Get(system);
        var remote = OtherCallNodes.Of(cluster.SelfUniqueAddress).WithAll(cluster.State.Members).RegionOnOldest(regionName);
        if (remote is null)
        {
            // The last call node: nowhere else to go; its own region is the only chance (a restart resumes from the journal).
            localRegion.Tell(message, ActorRefs.NoSender);
            return;
        }

        system.ActorSelection(remote).Tell(message, ActorRefs.NoSender);
    }

    /// <summary>This node's coordinated shutdown has begun (sharding hands off before the member is even Leaving), or its
    /// member is Leaving or later.</summary>
    private static bool IsLeaving(ActorSystem system) =>
        CoordinatedShutdown.Get(system).ShutdownReason is not null
        || Cluster.Get(system).SelfMember.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down or MemberStatus.Removed;
}
