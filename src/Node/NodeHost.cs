using System.Net;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Event;
using CallCluster.Contracts.Sharding;
using CallCluster.Gateway;
using CallCluster.Gateway.Journal;
using CallCluster.Hosting;
using CallCluster.Hosting.Admin;
using CallCluster.Node.Admin;
using CallCluster.Node.Commands;
using CallCluster.Node.Dialogs;
using CallCluster.Node.Events;
using CallCluster.Node.OpenSips;
using CallCluster.Node.Persistence;
using CallCluster.Node.Sharding;
using CallCluster.Node.Webhooks;
using CallCluster.Simulator;

namespace CallCluster.Node;

/// <summary>The composition root of a CallCluster process: starts the ActorSystem and joins the cluster, then,
/// per role, the shard regions with the OpenSIPS connector (call-node) and the WebSocket endpoint (gateway).
/// Without an OpenSIPS MI address it starts the built-in simulator (sandbox mode).</summary>
public sealed class NodeHost
{
    private NodeHost(ActorSystem system, IActorRef commandRegion, GatewayServer? gateway, OpenSipsSimulator? simulator,
        EviListener? evi, IActorRef? miPool, IActorRef? subscriptions)
    {
        System = system;
        CommandRegion = commandRegion;
        Gateway = gateway;
        Simulator = simulator;
        Evi = evi;
        Mi = miPool;
        Subscriptions = subscriptions;
    }

    public ActorSystem System { get; }

    public IActorRef CommandRegion { get; }

    public GatewayServer? Gateway { get; }

    public OpenSipsSimulator? Simulator { get; }

    public EviListener? Evi { get; }

    /// <summary>The MI pool (call nodes only).</summary>
    public IActorRef? Mi { get; }

    public IActorRef? Subscriptions { get; }

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

    public static async Task<NodeHost> StartAsync(Config config, CancellationToken ct = default)
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

        var system = ClusterBootstrap.CreateSystem(config, readsEvents ? PersistenceSetup.Setups(config) : null);
        Hosting.Tracing.TracingSetup.Attach(system, "callcluster-node"); // OTLP traces when configured (docs/tracing.md)
        try
        {
            if (hostsCalls)
            {
                // Loads the persistence extension now, so that the journals listed in auto-start-journals initialize
                // before this node takes any command (persistence-postgres.conf says why).
                Akka.Persistence.Persistence.Instance.Apply(system);
            }

            await ClusterBootstrap.JoinAsync(system, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);

            OpenSipsSimulator? simulator = null;
            EviListener? evi = null;
            IActorRef? miPool = null;
            IActorRef? subscriptions = null;
            IActorRef commandRegion;
            IActorRef dialogRegion;
            var palettes = new List<IAdminPalette>();
            Func<HealthReport>? readiness = null;
            var askTimeout = TimeSpan.FromSeconds(5);
            var eventsSettings = EventsSettings.FromConfig(system.Settings.Config);
            var events = readsEvents && eventsSettings.Enabled
                ? new Gateway.Events.EventSource(system.ActorOf(EventFeed.Props(), "event-feed"), eventsSettings.PollInterval, eventsSettings.PageSize)
                : null;
            if (hostsCalls)
            {
                system.Log.Info("Journal and snapshots in {0}", PersistenceSetup.DescribeStore(config));
                (simulator, var miTarget, var nextHop) = await ResolveMiTargetAsync(system, ct).ConfigureAwait(false);
                miPool = system.ActorOf(MiPool.Props(MiSettings.FromConfig(system.Settings.Config, miTarget)), "mi-pool");
                var eventLog = eventsSettings.Enabled
                    ? system.ActorOf(CallEventLog.Supervised(Akka.Cluster.Cluster.Get(system).SelfAddress.Port?.ToString(global::System.Globalization.CultureInfo.InvariantCulture) ?? "node"), "call-event-log")
                    : null;
                var regions = await StartRegionsAsync(system, miPool, nextHop, eventLog).ConfigureAwait(false);
                commandRegion = regions.Command;
                dialogRegion = regions.Dialog;
                system.ActorOf(HandOffRedelivery.Props(regions.Command, regions.Dialog), "handoff-redelivery");
                var eviSettings = EviSettings.FromConfig(system.Settings.Config);
                try
                {
                    // Through the router: a leaving node hands its events to another call node (EviRouter says why).
                    evi = await EviListener.Start(system, eviSettings, system.ActorOf(EviRouter.Props(regions.Dialog), "evi-router"))
                        .ConfigureAwait(false);
                }
                catch (Exception e) when (PortInUse.Is(e))
                {
                    throw PortInUse.Error("EVI listener (UDP)", $"{eviSettings.BindHost}:{eviSettings.Port}",
                        "callcluster.evi.port or CALLCLUSTER_EVI_PORT", e);
                }

                system.Log.Info("EVI listener on {0}, advertised to OpenSIPS as {1}", evi.LocalEndPoint, evi.AdvertisedSocket);
                subscriptions = StartSubscriptionSingleton(system, miPool, evi.AdvertisedSocket);
                StartTokenRegistry(system);
                StartRetentionSweeper(system, regions.Command);
                StartCommandResumer(system, regions.Command);
                StartJournalProbe(system);
                SubscriptionHandOver.Register(system, TimeSpan.FromSeconds(12), miPool, subscriptions, evi.AdvertisedSocket,
                    SubscriptionSettings.FromConfig(system.Settings.Config));
                palettes.Add(new CallsPalette(regions.Dialog, askTimeout));
                palettes.Add(new ProxyPalette(miPool, evi, subscriptions, askTimeout));
                if (events is not null)
                {
                    palettes.Add(new WebhooksPalette(StartWebhookRegistry(system, events), askTimeout));
                }

                var health = new ConnectorHealth.HealthState();
                system.ActorOf(ConnectorHealth.Props(subscriptions, health), "connector-health");
                readiness = () => health.Current;
            }
            else
            {
                commandRegion = await ShardingSetup.StartCommandProxyAsync(system).ConfigureAwait(false);
                dialogRegion = await ShardingSetup.StartDialogProxyAsync(system).ConfigureAwait(false);
            }

            palettes.Add(new CommandsPalette(commandRegion, askTimeout));
            await AdminServer.StartAsync(system, AdminSettings.FromConfig(system.Settings.Config), palettes, readiness, ct)
                .ConfigureAwait(false);

            GatewayServer? gateway = null;
            if (hostsGateway)
            {
                // The gateway goes through a journal gate: new commands are refused -32003 at once while the journal is
                // down (docs/faults-and-bad-input.md), instead of waiting for the ask timeout. A call node knows its own
                // journal; a gateway-only process hears the call nodes' health through Distributed Data.
                var gatewayRegion = hostsCalls
                    ? system.ActorOf(JournalGate.Props(commandRegion), "journal-gate")
                    : system.ActorOf(ClusterJournalGate.Props(commandRegion), "journal-gate");
                gateway = await GatewayServer.StartAsync(system, gatewayRegion, GatewaySettings.FromConfig(system.Settings.Config), ct,
                    dialogRegion, events).ConfigureAwait(false);
                system.Log.Info("Call API listening on {0}", gateway.Endpoint);
            }

            var host = new NodeHost(system, commandRegion, gateway, simulator, evi, miPool, subscriptions);
            host.RegisterShutdownTasks();
            return host;
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The configured OpenSIPS, or else a simulator started inside this ActorSystem; and the default next hop
    /// of click-to-dial INVITEs, which must loop through the proxy itself: the simulator's SIP address, or OpenSIPS's
    /// MI host on the standard SIP port (override: callcluster.commands.call-start.next-hop).</summary>
    private static async Task<(OpenSipsSimulator? Simulator, IPEndPoint Target, string NextHop)> ResolveMiTargetAsync(
        ActorSystem system, CancellationToken ct)
    {
        var config = system.Settings.Config;
        var address = config.GetString("callcluster.mi.address", "");
        if (!string.IsNullOrWhiteSpace(address))
        {
            var settings = MiSettings.FromConfig(config);
            system.Log.Info("OpenSIPS MI at {0}", settings.Target);
            return (null, settings.Target, $"sip:{settings.Target.Address}:5060");
        }

        var options = SimulatorOptions.FromConfig(config);
        OpenSipsSimulator simulator;
        try
        {
            simulator = await OpenSipsSimulator.StartAsync(options, system, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (PortInUse.Is(e) && options.MiPort == SandboxMiPort
                                  && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SandboxMiPortVariable)))
        {
            // 8080 is the sandbox's preference, shared by every node on the host: a second sandbox node that did not ask
            // for it takes any free port (docs/faults-and-bad-input.md).
            system.Log.Warning("Simulator MI port {0} is in use and was not asked for ({1} unset): the built-in simulator " +
                "takes a free port instead; set {1} or callcluster.simulator.mi-port to pin it", options.MiPort, SandboxMiPortVariable);
            simulator = await OpenSipsSimulator.StartAsync(options with { MiPort = 0 }, system, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (PortInUse.Is(e))
        {
            throw PortInUse.Error("Simulator MI (UDP)", $"{options.BindAddress}:{options.MiPort}",
                $"callcluster.simulator.mi-port or {SandboxMiPortVariable}", e);
        }

        system.Log.Warning(
            "No OpenSIPS MI address configured (callcluster.mi.address / CALLCLUSTER_MI): sandbox mode, using the built-in " +
            "OpenSIPS simulator at {0}", simulator.MiEndPoint);
        return (simulator, simulator.MiEndPoint, $"sip:{options.BindAddress}:{options.SipPort}");
    }

    /// <summary>The sandbox's simulator MI port (sandbox.conf) and the variable that pins it.</summary>
    private const int SandboxMiPort = 8080;
    private const string SandboxMiPortVariable = "CALLCLUSTER_SIM_MI_PORT";

    /// <summary>One EVI subscription for the whole cluster: a singleton among call nodes. Each node offers its own
    /// listener's socket (or the shared CALLCLUSTER_EVI_ADVERTISE address); the singleton's node is the one used.
    /// Returns the proxy, through which any node can ask the subscription's status.</summary>
    private static IActorRef StartSubscriptionSingleton(ActorSystem system, IActorRef miPool, string socket)
    {
        var settings = SubscriptionSettings.FromConfig(system.Settings.Config);
        system.ActorOf(Akka.Cluster.Tools.Singleton.ClusterSingletonManager.Props(
                SubscriptionSingleton.Props(miPool, socket, settings),
                SubscriptionSingleton.HandOver.Instance,
                Akka.Cluster.Tools.Singleton.ClusterSingletonManagerSettings.Create(system).WithRole(ShardRegions.CallNodeRole)),
            "evi-subscription");
        return system.ActorOf(Akka.Cluster.Tools.Singleton.ClusterSingletonProxy.Props(
                "/user/evi-subscription",
                Akka.Cluster.Tools.Singleton.ClusterSingletonProxySettings.Create(system).WithRole(ShardRegions.CallNodeRole)),
            "evi-subscription-proxy");
    }

    /// <summary>The API token registry (docs/security.md): one persistent singleton among call nodes; every process
    /// reaches it through CallClusterSecurity's proxy.</summary>
    private static void StartTokenRegistry(ActorSystem system) =>
        system.ActorOf(Akka.Cluster.Tools.Singleton.ClusterSingletonManager.Props(
                Security.TokenRegistry.Props(),
                PoisonPill.Instance,
                Akka.Cluster.Tools.Singleton.ClusterSingletonManagerSettings.Create(system).WithRole(ShardRegions.CallNodeRole)),
            CallCluster.Hosting.Security.CallClusterSecurity.RegistryName);

    /// <summary>Journal retention of ended commands (docs/retention.md): one sweeper for the whole cluster, a
    /// singleton among call nodes. Not started when the retention is 0 (keep forever).</summary>
    private static void StartRetentionSweeper(ActorSystem system, IActorRef commandRegion)
    {
        var settings = CommandRetentionSettings.FromConfig(system.Settings.Config);
        if (!settings.Enabled)
        {
            system.Log.Info("Journal retention off (callcluster.commands.retention = 0): ended commands are kept forever");
            return;
        }

        system.ActorOf(Akka.Cluster.Tools.Singleton.ClusterSingletonManager.Props(
                CommandRetentionSweeper.Props(commandRegion, settings),
                PoisonPill.Instance,
                Akka.Cluster.Tools.Singleton.ClusterSingletonManagerSettings.Create(system).WithRole(ShardRegions.CallNodeRole)),
            "command-retention");
    }

    /// <summary>Webhook endpoints (docs/call-events.md): one registry for the whole cluster, a singleton among call nodes,
    /// with an outbox actor per endpoint. Returns the proxy, through which any node's admin palette reaches it.</summary>
    private static IActorRef StartWebhookRegistry(ActorSystem system, Gateway.Events.EventSource events)
    {
        var settings = WebhookSettings.FromConfig(system.Settings.Config);
        var sender = WebhookSender.Create(settings.RequestTimeout);
        system.ActorOf(Akka.Cluster.Tools.Singleton.ClusterSingletonManager.Props(
                WebhookRegistry.Props(settings, events, sender),
                PoisonPill.Instance,
                Akka.Cluster.Tools.Singleton.ClusterSingletonManagerSettings.Create(system).WithRole(ShardRegions.CallNodeRole)),
            Contracts.Events.WebhookRegistryAddress.Name);
        return system.ActorOf(Akka.Cluster.Tools.Singleton.ClusterSingletonProxy.Props(
                Contracts.Events.WebhookRegistryAddress.SingletonPath,
                Akka.Cluster.Tools.Singleton.ClusterSingletonProxySettings.Create(system).WithRole(ShardRegions.CallNodeRole)),
            "webhooks-proxy");
    }

    /// <summary>Wakes the commands in progress at start-up, when a call node is removed, and periodically
    /// (<see cref="CommandResumer"/>, docs/survival.md): one for the whole cluster, a singleton among call nodes. Stopped
    /// with PoisonPill on hand-over: its only state is the watermark, persisted as it moves.</summary>
    private static void StartCommandResumer(ActorSystem system, IActorRef commandRegion)
    {
        system.ActorOf(Akka.Cluster.Tools.Singleton.ClusterSingletonManager.Props(
                CommandResumer.Props(commandRegion, CommandResumerSettings.FromConfig(system.Settings.Config)),
                PoisonPill.Instance,
                Akka.Cluster.Tools.Singleton.ClusterSingletonManagerSettings.Create(system).WithRole(ShardRegions.CallNodeRole)),
            "command-resumer");
    }

    /// <summary>Keeps <see cref="JournalHealth"/> current (callcluster.persistence.probe-every / probe-timeout).</summary>
    private static void StartJournalProbe(ActorSystem system)
    {
        var config = system.Settings.Config;
        var every = config.GetTimeSpan("callcluster.persistence.probe-every", TimeSpan.FromSeconds(1));
        var timeout = config.GetTimeSpan("callcluster.persistence.probe-timeout", TimeSpan.Zero);
        var journal = Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(null);
        system.ActorOf(JournalProbe.Props(journal, every, timeout), "journal-probe");
        system.ActorOf(JournalHealthPublisher.Props(every), "journal-health-publisher");
    }

    private static async Task<(IActorRef Command, IActorRef Dialog)> StartRegionsAsync(ActorSystem system, IActorRef miPool,
        string defaultNextHop, IActorRef? eventLog)
    {
        var config = system.Settings.Config;
        var sharding = ClusterSharding.Get(system);
        var shards = ShardingSetup.NumberOfShards(system);
        var settings = ClusterShardingSettings.Create(system).WithRole(ShardRegions.CallNodeRole);
        var commandSettings = CommandSettings.FromConfig(config);
        if (string.IsNullOrEmpty(commandSettings.NextHop))
        {
            commandSettings = commandSettings with { NextHop = defaultNextHop };
        }

        system.Log.Info("Click-to-dial INVITEs loop through {0}", commandSettings.NextHop);
        var dialogSettings = DialogSettings.FromConfig(config);

        // Each region's entities need the other region (and a command its own, to wake itself on a shard's next home);
        // they are looked up when an entity is created, by which time both regions exist.
        // Commands are not remembered entities: that store cost a journal write on every command's start path. The
        // command resumer (a singleton, StartCommandResumer) gets commands in progress running again after the loss of a
        // node or a full restart, from the journal's own open/ended tags (docs/survival.md).
        // Handed-off commands stop with CommandHandOff, not PoisonPill: a stored decision is acted on before they stop.
        var command = await sharding.StartAsync(ShardRegions.Command,
            cmdId => CommandEntity.Props(cmdId, miPool, sharding.ShardRegion(ShardRegions.Dialog), commandSettings,
                sharding.ShardRegion(ShardRegions.Command)),
            settings, new CommandMessageExtractor(shards),
            sharding.DefaultShardAllocationStrategy(settings), CommandHandOff.Instance).ConfigureAwait(false);
        // Handed-off dialogs stop with DialogHandOff: they pass their recent transfer/hold events to their next incarnation.
        var dialog = await sharding.StartAsync(ShardRegions.Dialog,
            callId => DialogEntity.Props(callId, sharding.ShardRegion(ShardRegions.Command), dialogSettings, miPool,
                sharding.ShardRegion(ShardRegions.Dialog), eventLog),
            settings, new DialogMessageExtractor(shards), sharding.DefaultShardAllocationStrategy(settings),
            DialogHandOff.Instance).ConfigureAwait(false);
        return (command, dialog);
    }

    /// <summary>Ordered shutdown: stop taking client requests, stop the event subscription, then close sockets
    /// and the simulator once the cluster has been left and the shards handed off.</summary>
    private void RegisterShutdownTasks()
    {
        var shutdown = CoordinatedShutdown.Get(System);
        if (Gateway is not null)
        {
            shutdown.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "close-websockets", async () =>
            {
                await Gateway.DisposeAsync().ConfigureAwait(false);
                return Akka.Done.Instance;
            });
        }

        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "close-connector", async () =>
        {
            if (Evi is not null)
            {
                await Evi.DisposeAsync().ConfigureAwait(false);
            }

            if (Simulator is not null)
            {
                await Simulator.DisposeAsync().ConfigureAwait(false);
            }

            return Akka.Done.Instance;
        });
    }
}
