using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

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
/// the same rule <see cref="HandOffRedelivery"/> follows. The last call node leaving has nowhere to send it: the
/// message is dropped. Its own region would only buffer it (no shard gets a new home while the whole cluster stops)
/// and then hold up its graceful stop for the phase's full timeout: a single node stopping after CallStart load
/// waited 10 s on 2,950 such messages before giving up on them. Nothing is lost by the drop: a dialog's watchers and
/// recent events live in memory only, and a command's wake-up is done after the restart by the command resumer, from
/// the journal.</summary>
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
            system.Log.Debug("Hand-over of {0} dropped: the last call node is stopping", message.GetType().Name);
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
