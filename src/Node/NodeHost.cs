using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using CallCluster.Contracts.Sharding;
using CallCluster.Gateway;
using CallCluster.Hosting;
using CallCluster.Hosting.Admin;
using CallCluster.Hosting.Composition;
using CallCluster.Hosting.Tracing;
using CallCluster.Node.Admin;
using CallCluster.Node.Composition;
using CallCluster.Node.OpenSips;
using CallCluster.Node.Persistence;
using CallCluster.Simulator;
using Microsoft.Extensions.Hosting;

namespace CallCluster.Node;

/// <summary>The composition root of a CallCluster node: the Generic Host (CallClusterHost) with, per role, the call node's
/// features (persistence, the simulator in sandbox mode, the MI pool, the shard regions, the EVI listener, the
/// singletons) and the gateway's, then the admin endpoint. Started in-process (tests) through <see cref="StartAsync"/>,
/// which keeps what the features started.</summary>
public sealed class NodeHost
{
    private readonly NodeParts _parts;

    private NodeHost(ActorSystem system, IActorRef commandRegion, NodeParts parts)
    {
        System = system;
        CommandRegion = commandRegion;
        _parts = parts;
    }

    public ActorSystem System { get; }

    public IActorRef CommandRegion { get; }

    public GatewayServer? Gateway => _parts.Gateway;

    public OpenSipsSimulator? Simulator => _parts.Simulator;

    public EviListener? Evi => _parts.Evi;

    /// <summary>The MI pool (call nodes only).</summary>
    public IActorRef? Mi => _parts.Mi;

    public IActorRef? Subscriptions => _parts.Subscriptions;

    /// <summary>The layers of the embedded default, lowest priority first; <c>persistence-postgres.conf</c> joins
    /// them when CALLCLUSTER_PG is set.</summary>
    public static IReadOnlyList<string> DefaultLayers()
    {
        var layers = new List<string> { "base.conf", "node.conf", "gateway.conf", "persistence-sqlite.conf", "sandbox.conf" };
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("CALLCLUSTER_PG")))
        {
            layers.Add("persistence-postgres.conf");
        }

        return layers;
    }

    /// <summary>Starts a node in this process and returns once every feature has started (tests; the executable runs
    /// the host itself: Program). Stopped by CoordinatedShutdown, which also stops the host.</summary>
    public static async Task<NodeHost> StartAsync(Config config, CancellationToken ct = default)
    {
        var parts = new NodeParts();
        var host = Build(config, parts, ownsProcess: false);
        var system = await CallClusterHost.StartAsync(host, config, ct).ConfigureAwait(false);
        _ = system.WhenTerminated.ContinueWith(_ => host.Dispose(), TaskScheduler.Default);
        return new NodeHost(system, ActorRegistry.For(system).Get<ActorKeys.CommandRegion>(), parts);
    }

    /// <summary>The node's host: its features by <c>callcluster.roles</c>, in start order.</summary>
    /// <param name="ownsProcess">Signals (SIGTERM, Ctrl-C) stop the host: the executable's, not a test's.</param>
    public static IHost Build(Config config, NodeParts parts, bool ownsProcess = true)
    {
        var roles = ConfigLoader.CommaList(config, "callcluster.roles");
        var hostsCalls = roles.Contains(ShardRegions.CallNodeRole);
        var hostsGateway = roles.Contains(ShardRegions.GatewayRole);
        // A gateway-only node reads the call-event log for EventsSubscribe when it can reach the journal: the shared
        // PostgreSQL of a cluster. An SQLite journal is a call node's own file (docs/call-events.md).
        var readsEvents = hostsCalls || (hostsGateway && config.GetString("callcluster.persistence.provider", "sqlite") == "postgres");
        if (readsEvents)
        {
            config = PersistenceSetup.Configure(config);
        }

        return CallClusterHost.Build(config, ownsProcess, (akka, _) =>
        {
            akka.WithTracing("callcluster-node");
            if (readsEvents)
            {
                akka.WithCallClusterPersistence(config, hostsCalls);
            }

            akka.WithClusterJoin();
            if (readsEvents)
            {
                akka.WithCallEventFeed(parts);
            }

            if (hostsCalls)
            {
                akka.WithSimulator(parts)
                    .WithMiPool(parts)
                    .WithCallNodeSharding(parts)
                    .WithEviListener(parts)
                    .WithCallNodeSingletons(parts);
            }
            else
            {
                akka.WithShardProxies();
            }

            akka.WithAdminServer(
                registry => [.. parts.Palettes, new CommandsPalette(registry.Get<ActorKeys.CommandRegion>(), TimeSpan.FromSeconds(5))],
                hostsCalls ? checks => checks.AddConnectorCheck(parts.Connector!) : null);
            if (hostsGateway)
            {
                if (hostsCalls)
                {
                    akka.WithJournalGate();
                }
                else
                {
                    akka.WithClusterJournalGate();
                }

                akka.WithGateway(_ => parts.Events, server => parts.Gateway = server);
            }
        });
    }
}
