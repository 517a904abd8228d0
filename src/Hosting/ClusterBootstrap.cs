using Akka.Event;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;

namespace CallCluster.Hosting;

/// <summary>Starts the <c>callcluster</c> ActorSystem with its roles and joins the cluster: the configured seeds,
/// or itself when there are none (the embedded one-node default).</summary>
public static class ClusterBootstrap
{
    public const string SystemName = "callcluster";

    /// <param name="setups">Programmatic settings that HOCON cannot express (e.g. the journal's connection tuning).</param>
    public static ActorSystem CreateSystem(Config config, IEnumerable<Akka.Actor.Setup.Setup>? setups = null)
    {
        var roles = ConfigLoader.CommaList(config, "callcluster.roles");
        var rolesConfig = ConfigurationFactory.ParseString(
            "akka.cluster.roles = [" + string.Join(",", roles.Select(r => "\"" + r + "\"")) + "]");
        // Sharding's, singletons' and Distributed Data's defaults (and with them their serializers) from the start, not
        // from the moment this node starts its own sharding: a peer's replicator gossip that arrives earlier would not
        // deserialize, and the coordinator's majority writes would stall until updating-state-timeout.
        var defaults = Akka.Cluster.Sharding.ClusterSharding.DefaultConfig()
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig())
            .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());
        var bootstrap = BootstrapSetup.Create().WithConfig(
            Logging.LogFormat.AkkaLoggers(rolesConfig.WithFallback(config).WithFallback(defaults)));
        return ActorSystem.Create(SystemName, ActorSystemSetup.Create([bootstrap, .. setups ?? []]));
    }

    /// <summary>Joins and completes when this member is Up (or fails after <paramref name="timeout"/>).</summary>
    public static async Task JoinAsync(ActorSystem system, TimeSpan timeout, CancellationToken ct = default)
    {
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());

        var seeds = ConfigLoader.CommaList(system.Settings.Config, "callcluster.seeds")
            .Select(Address.Parse)
            .ToList();
        if (seeds.Count == 0)
        {
            system.Log.Info("No seed nodes configured: forming a one-node cluster at {0}", cluster.SelfAddress);
            await cluster.JoinAsync(cluster.SelfAddress, ct).ConfigureAwait(false);
        }
        else
        {
            system.Log.Info("Joining the cluster through seeds {0}", string.Join(", ", seeds));
            await cluster.JoinSeedNodesAsync(seeds, ct).ConfigureAwait(false);
        }

        await up.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
        system.Log.Info("Member {0} is Up with roles [{1}]", cluster.SelfAddress, string.Join(",", cluster.SelfRoles));
    }
}
