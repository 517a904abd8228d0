using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Hosting;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting;
using CallCluster.Hosting.Composition;
using CallCluster.Node.Commands;
using CallCluster.Node.Dialogs;
using CallCluster.Node.Events;
using CallCluster.Node.Sharding;

namespace CallCluster.Node.Composition;

/// <summary>The call node's entities: the command and dialog shard regions, the call-event log they write to, the
/// redelivery of what a shard hand-off drops, and CallList's pages of the Call-IDs tracked here.</summary>
public static class ShardingHostingExtensions
{
    public static AkkaConfigurationBuilder WithCallNodeSharding(this AkkaConfigurationBuilder akka, NodeParts parts) =>
        akka.AddStartupStep(async (system, registry) =>
        {
            var miPool = parts.Mi ?? throw new InvalidOperationException("WithMiPool comes before WithCallNodeSharding");
            var eventLog = EventsSettings.FromConfig(system.Settings.Config).Enabled
                ? system.ActorOf(CallEventLog.Supervised(Akka.Cluster.Cluster.Get(system).SelfAddress.Port?.ToString(
                    System.Globalization.CultureInfo.InvariantCulture) ?? "node"), "call-event-log")
                : null;
            var (command, dialog) = await StartRegionsAsync(system, miPool, parts.DefaultNextHop, eventLog).ConfigureAwait(false);
            system.ActorOf(HandOffRedelivery.Props(command, dialog), "handoff-redelivery");
            // CallList's pages of this node's Call-IDs (the gateway asks every call node's /user/tracked-call-ids).
            system.ActorOf(TrackedCallIdsActor.Props(dialog, TimeSpan.FromSeconds(5)), TrackedCallIds.ActorName);
            registry.Register<ActorKeys.CommandRegion>(command);
            registry.Register<ActorKeys.DialogRegion>(dialog);
        });

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
        // Each command runs inside a CommandEntityShell, which picks its recovery from the first message: a cmd_id the
        // gateway has just generated skips the journal read (docs/persistence.md).
        var command = await sharding.StartAsync(ShardRegions.Command,
            cmdId => CommandEntityShell.Props(knownNew => CommandEntity.Props(cmdId, miPool,
                sharding.ShardRegion(ShardRegions.Dialog), commandSettings, sharding.ShardRegion(ShardRegions.Command), knownNew)),
            settings, new CommandMessageExtractor(shards),
            sharding.DefaultShardAllocationStrategy(settings), CommandHandOff.Instance).ConfigureAwait(false);
        // Handed-off dialogs stop with DialogHandOff: they pass their recent transfer/hold events to their next incarnation.
        // One Props for every dialog: each entity takes its Call-ID from its name (DialogEntity.Props says why). It names
        // the dialog region itself, which exists only once started: so it is made when the first dialog starts (shards
        // are separate actors, hence Lazy's thread safety).
        // A new dialog's party lookup is background work: its own lane, so that a burst of new calls does not queue
        // ahead of the commands' MI requests at the proxy (MiBackgroundLane).
        var partyLookups = eventLog is null
            ? null
            : system.ActorOf(OpenSips.MiBackgroundLane.Props(miPool, dialogSettings.PartyLookupsInFlight,
                dialogSettings.PartyLookupsWaiting), "party-lookups");
        var dialogProps = new Lazy<Props>(() => DialogEntity.Props(sharding.ShardRegion(ShardRegions.Command), dialogSettings,
            miPool, sharding.ShardRegion(ShardRegions.Dialog), eventLog, partyLookups));
        var dialog = await sharding.StartAsync(ShardRegions.Dialog, _ => dialogProps.Value,
            settings, new DialogMessageExtractor(shards), sharding.DefaultShardAllocationStrategy(settings),
            DialogHandOff.Instance).ConfigureAwait(false);
        return (command, dialog);
    }
}
