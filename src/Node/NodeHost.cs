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
using Microsoft.Extensions.Hosting;

namespace CallCluster.Node;

/// <summary>The composition root of a CallCluster node: the Generic Host (CallClusterHost) with, per role, the call node's
/// features (persistence, the host's OpenSIPS stand-in if it has one, the MI pool, the shard regions, the EVI listener,
/// the singletons) and the gateway's, then the admin endpoint. Run by src/Apps/Node; src/Apps/Embedded adds the
/// simulator as the stand-in. Started in-process (tests) through <see cref="StartAsync"/>, which keeps what the
/// features started.</summary>
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

    public EviListener? Evi => _parts.Evi;

    /// <summary>The MI pool (call nodes only).</summary>
    public IActorRef? Mi => _parts.Mi;

    public IActorRef? Subscriptions => _parts.Subscriptions;

    /// <summary>A node's layers, lowest priority first; <c>persistence-postgres.conf</c> joins them when CALLCLUSTER_PG is
    /// set. The embedded default adds sandbox.conf (src/Apps/Embedded).</summary>
    public static IReadOnlyList<string> DefaultLayers()
    {
        var layers = new List<string> { "base.conf", "node.conf", "gateway.conf", "persistence-sqlite.conf" };
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("CALLCLUSTER_PG")))
        {
            layers.Add("persistence-postgres.conf");
        }

        return layers;
    }

    /// <summary>Starts a node in this process and returns once every feature has started (tests; the executables run
    /// the host themselves). Stopped by CoordinatedShutdown, which also stops the host.</summary>
    /// <param name="localOpenSips">As in <see cref="Build"/>.</param>
    public static async Task<NodeHost> StartAsync(Config config, Action<AkkaConfigurationBuilder, NodeParts>? localOpenSips = null,
        CancellationToken ct = default)
    {
        var parts = new NodeParts();
        var host = Build(config, parts, ownsProcess: false, localOpenSips);
        var system = await CallClusterHost.StartAsync(host, config, ct).ConfigureAwait(false);
        _ = system.WhenTerminated.ContinueWith(_ => host.Dispose(), TaskScheduler.Default);
        return new NodeHost(system, ActorRegistry.For(system).Get<ActorKeys.CommandRegion>(), parts);
    }

    /// <summary>The node's host: its features by <c>callcluster.roles</c>, in start order.</summary>
    /// <param name="ownsProcess">Signals (SIGTERM, Ctrl-C) stop the host: the executable's, not a test's.</param>
    /// <param name="localOpenSips">Adds the host's own OpenSIPS stand-in, started before the MI pool (the embedded
    /// default's simulator): its features set <see cref="NodeParts.LocalMi"/> and <see cref="NodeParts.DefaultNextHop"/>.
    /// Without it, a call node needs callcluster.mi.address: <see cref="StartupException"/> before anything starts.</param>
    public static IHost Build(Config config, NodeParts parts, bool ownsProcess = true,
        Action<AkkaConfigurationBuilder, NodeParts>? localOpenSips = null)
    {
        var roles = ConfigLoader.CommaList(config, "callcluster.roles");
        var hostsCalls = roles.Contains(ShardRegions.CallNodeRole);
        var hostsGateway = roles.Contains(ShardRegions.GatewayRole);
        if (hostsCalls && localOpenSips is null && string.IsNullOrWhiteSpace(config.GetString("callcluster.mi.address", "")))
        {
            throw NoOpenSips();
        }

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
                localOpenSips?.Invoke(akka, parts);
                akka.WithMiPool(parts)
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

    /// <summary>A call node with neither an OpenSIPS address nor a stand-in: what the operator sets, and where the sandbox
    /// is.</summary>
    public static StartupException NoOpenSips() => new(
        "no OpenSIPS MI address configured: set callcluster.mi.address or CALLCLUSTER_MI to OpenSIPS's mi_datagram " +
        "host:port (for a sandbox with the built-in OpenSIPS simulator run: dotnet run --project src/Apps/Embedded)");
}
