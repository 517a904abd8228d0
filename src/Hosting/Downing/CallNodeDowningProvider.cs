using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;

namespace CallCluster.Hosting.Downing;

/// <summary>Settings of the "call nodes first" downing (HOCON <c>callcluster.downing</c>).</summary>
/// <param name="Role">The role whose members hold the state (shards, singletons): counted first.</param>
/// <param name="StableAfter">How long the set of unreachable members must stay unchanged before the leader decides.</param>
/// <param name="DownRemovalMargin">After a member is removed, how long sharding and singletons wait before starting its
/// shards and singletons elsewhere (gives the losing side of a partition time to stop its own first).</param>
/// <param name="DeadMemberProbeTimeout">How long the connect to a disconnected member's remoting port may take
/// (<see cref="DeadMemberProbe"/>); 0 turns the probe off.</param>
/// <param name="AliveGrace">How much longer the decision on an unreachable member waits when its port still accepts
/// connections.</param>
public sealed record DowningSettings(string Role, TimeSpan StableAfter, TimeSpan DownRemovalMargin, TimeSpan DeadMemberProbeTimeout,
    TimeSpan AliveGrace)
{
    public static DowningSettings FromConfig(Config config) => new(
        config.GetString("callcluster.downing.role", "call-node"),
        config.GetTimeSpan("callcluster.downing.stable-after", TimeSpan.FromSeconds(1)),
        config.GetTimeSpan("callcluster.downing.down-removal-margin", TimeSpan.Zero),
        config.GetTimeSpan("callcluster.downing.dead-member-probe-timeout", TimeSpan.FromSeconds(1)),
        config.GetTimeSpan("callcluster.downing.alive-grace", TimeSpan.FromSeconds(10)));
}

/// <summary>
/// Akka's downing provider hook (<c>akka.cluster.downing-provider-class</c>) for <see cref="SurvivorRule"/>. Akka's own
/// split brain resolver strategies cannot express "call nodes decide, gateways only break ties": keep-majority by role
/// downs the survivor of a 2-call-node cluster when the call node with the lowest address dies, keep-oldest by role
/// downs it when the oldest dies, static-quorum cannot serve 1, 2 and 3 call nodes with one quorum, keep-majority over
/// all members lets gateways outnumber call nodes, and a lease needs a lease store. See docs/survival.md.
/// </summary>
public sealed class CallNodeDowningProvider : IDowningProvider
{
    private readonly DowningSettings _settings;

    // Akka instantiates the provider by reflection with (ActorSystem, Cluster) or (ActorSystem), depending on version.
    public CallNodeDowningProvider(ActorSystem system, Cluster cluster)
        : this(system)
    {
    }

    public CallNodeDowningProvider(ActorSystem system) => _settings = DowningSettings.FromConfig(system.Settings.Config);

    public TimeSpan DownRemovalMargin => _settings.DownRemovalMargin;

    public Props DowningActorProps => CallNodeDowningActor.Props(_settings);
}
