using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using CallCluster.Gateway.Journal;
using CallCluster.Hosting.Composition;

namespace CallCluster.Gateway;

/// <summary>The Call API gateway as a feature of the host.</summary>
public static class GatewayHostingExtensions
{
    /// <summary>The journal gate of a process that hosts no command entities: new commands are refused -32003 at once
    /// while the call nodes report their journal down (Distributed Data), instead of waiting for the ask timeout.</summary>
    public static AkkaConfigurationBuilder WithClusterJournalGate(this AkkaConfigurationBuilder akka) =>
        akka.AddStartupStep((system, registry) =>
        {
            registry.Register<ActorKeys.JournalGate>(
                system.ActorOf(ClusterJournalGate.Props(registry.Get<ActorKeys.CommandRegion>()), "journal-gate"));
            return Task.CompletedTask;
        });

    /// <summary>Serves the Call API (WebSocket, REST, console) through the journal gate, and closes its WebSockets in
    /// CoordinatedShutdown's service-unbind phase, before the node leaves the cluster.</summary>
    /// <param name="events">The call-event log, when this process reads it (EventsSubscribe).</param>
    /// <param name="started">Told the server once it listens (the embedded host's facade keeps it).</param>
    public static AkkaConfigurationBuilder WithGateway(this AkkaConfigurationBuilder akka,
        Func<IActorRegistry, Events.EventSource?>? events = null, Action<GatewayServer>? started = null) =>
        akka.AddStartupStep(async (system, registry) =>
        {
            var server = await GatewayServer.StartAsync(system, registry.Get<ActorKeys.JournalGate>(),
                GatewaySettings.FromConfig(system.Settings.Config), dialogRegion: registry.Get<ActorKeys.DialogRegion>(),
                events: events?.Invoke(registry)).ConfigureAwait(false);
            system.Log.Info("Call API listening on {0}", server.Endpoint);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "close-websockets", async () =>
            {
                await server.DisposeAsync().ConfigureAwait(false);
                return Akka.Done.Instance;
            });
            started?.Invoke(server);
        });
}
