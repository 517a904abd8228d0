using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting.Composition;
using CallCluster.Node.Admin;
using CallCluster.Node.Commands;
using CallCluster.Node.OpenSips;
using CallCluster.Node.Persistence;
using CallCluster.Node.Webhooks;

namespace CallCluster.Node.Composition;

/// <summary>The call nodes' cluster-wide singletons (the EVI subscription, the token registry, journal retention, the
/// command resumer, the webhook registry) and the node's own health watchers, with the admin palettes over them.</summary>
public static class SingletonsHostingExtensions
{
    public static AkkaConfigurationBuilder WithCallNodeSingletons(this AkkaConfigurationBuilder akka, NodeParts parts) =>
        akka.AddStartupStep((system, registry) =>
        {
            var miPool = parts.Mi!;
            var evi = parts.Evi ?? throw new InvalidOperationException("WithEviListener comes before WithCallNodeSingletons");
            var commandRegion = registry.Get<ActorKeys.CommandRegion>();
            var askTimeout = TimeSpan.FromSeconds(5);
            var subscriptions = StartSubscriptionSingleton(system, miPool, evi.AdvertisedSocket);
            parts.Subscriptions = subscriptions;
            StartTokenRegistry(system);
            StartRetentionSweeper(system, commandRegion);
            StartCommandResumer(system, commandRegion);
            StartJournalProbe(system);
            SubscriptionHandOver.Register(system, TimeSpan.FromSeconds(12), miPool, subscriptions, evi.AdvertisedSocket,
                SubscriptionSettings.FromConfig(system.Settings.Config));
            parts.Palettes.Add(new CallsPalette(registry.Get<ActorKeys.DialogRegion>(), askTimeout));
            parts.Palettes.Add(new ProxyPalette(miPool, evi, subscriptions, askTimeout));
            if (parts.Events is { } events)
            {
                parts.Palettes.Add(new WebhooksPalette(StartWebhookRegistry(system, events), askTimeout));
            }

            var health = new ConnectorHealth.HealthState();
            system.ActorOf(ConnectorHealth.Props(subscriptions, health), "connector-health");
            parts.Connector = health;
            return Task.CompletedTask;
        });

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
}
