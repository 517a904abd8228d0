using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Node.Sharding;

/// <summary>The other call nodes that are Up, as this node's member events tell them. A node that is leaving sends
/// what its own shard regions can no longer take to the oldest of them: the oldest hosts the shard coordinators once
/// this node has gone, so its regions learn a moved shard's new home first.</summary>
public sealed record OtherCallNodes(UniqueAddress Self, ImmutableDictionary<UniqueAddress, Member> Up)
{
    public static OtherCallNodes Of(UniqueAddress self) => new(self, ImmutableDictionary<UniqueAddress, Member>.Empty);

    /// <summary>This view after <paramref name="member"/>'s latest status: kept only while it is an Up call node other
    /// than this one.</summary>
    public OtherCallNodes With(Member member) =>
        member.UniqueAddress.Equals(Self) ? this
        : member.Status == MemberStatus.Up && member.HasRole(ShardRegions.CallNodeRole) ? this with { Up = Up.SetItem(member.UniqueAddress, member) }
        : this with { Up = Up.Remove(member.UniqueAddress) };

    /// <summary>This view rebuilt from <paramref name="members"/>, e.g. the cluster's current state: a node that starts
    /// to leave just after it joined may not have had its member events yet.</summary>
    public OtherCallNodes WithAll(IEnumerable<Member> members) =>
        members.Aggregate(this with { Up = ImmutableDictionary<UniqueAddress, Member>.Empty }, (view, m) => view.With(m));

    public Member? Oldest => Up.Values.Aggregate((Member?)null, (oldest, m) => oldest is null || m.IsOlderThan(oldest) ? m : oldest);

    /// <summary>The path of shard region <paramref name="regionName"/> on the oldest other Up call node; null when
    /// there is none.</summary>
    public ActorPath? RegionOnOldest(string regionName) =>
        Oldest is { } oldest ? new RootActorPath(oldest.Address) / "system" / "sharding" / regionName : null;
}
