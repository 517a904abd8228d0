using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using CallCluster.Hosting.Composition;
using CallCluster.Node.Persistence;

namespace CallCluster.Node.Composition;

/// <summary>The journal and snapshot store (SQLite or PostgreSQL: PersistenceSetup), and the call-event log reader.</summary>
public static class PersistenceHostingExtensions
{
    /// <param name="config">The node's configuration, already through <see cref="PersistenceSetup.Configure"/>.</param>
    /// <param name="hostsCalls">A call node loads the persistence extension at start, so that the journals listed in
    /// auto-start-journals initialize before this node takes any command (persistence-postgres.conf says why); a
    /// gateway-only node that reads the event log only needs the settings.</param>
    public static AkkaConfigurationBuilder WithCallClusterPersistence(this AkkaConfigurationBuilder akka, Config config, bool hostsCalls)
    {
        foreach (var setup in PersistenceSetup.Setups(config))
        {
            akka.AddSetup(setup);
        }

        return hostsCalls
            ? akka.AddStartupStep((system, _) =>
            {
                Akka.Persistence.Persistence.Instance.Apply(system);
                system.Log.Info("Journal and snapshots in {0}", PersistenceSetup.DescribeStore(config));
                StartSqliteCheckpointer(system, config);
                return Task.CompletedTask;
            })
            : akka;
    }

    /// <summary>On SQLite, the write-ahead log's checkpoints run in the background (callcluster.persistence.sqlite-checkpoint-every,
    /// sqlite-wal-warn-frames) instead of inside the commit that fills it.</summary>
    private static void StartSqliteCheckpointer(Akka.Actor.ActorSystem system, Config config)
    {
        if (!PersistenceSetup.UsesSqlite(config))
        {
            return;
        }

        var every = config.GetTimeSpan("callcluster.persistence.sqlite-checkpoint-every", TimeSpan.FromMilliseconds(200));
        var warnFrames = config.GetLong("callcluster.persistence.sqlite-wal-warn-frames", 25_000);
        system.ActorOf(SqliteWalCheckpointer.Props(config.GetString("akka.persistence.journal.sql.connection-string"), every, warnFrames),
            "sqlite-checkpointer");
    }

    /// <summary>Reads the call-event log for EventsSubscribe and the webhooks (docs/call-events.md), unless
    /// callcluster.events says not to.</summary>
    public static AkkaConfigurationBuilder WithCallEventFeed(this AkkaConfigurationBuilder akka, NodeParts parts) =>
        akka.AddStartupStep((system, _) =>
        {
            var settings = Events.EventsSettings.FromConfig(system.Settings.Config);
            if (settings.Enabled)
            {
                parts.Events = new Gateway.Events.EventSource(system.ActorOf(Events.EventFeed.Props(), "event-feed"),
                    settings.PollInterval, settings.PageSize);
            }

            return Task.CompletedTask;
        });

    /// <summary>The gateway's way to this call node's command region: new commands are refused -32003 at once while the
    /// node's own journal is down (docs/faults-and-bad-input.md), instead of waiting for the ask timeout.</summary>
    public static AkkaConfigurationBuilder WithJournalGate(this AkkaConfigurationBuilder akka) =>
        akka.AddStartupStep((system, registry) =>
        {
            registry.Register<ActorKeys.JournalGate>(
                system.ActorOf(JournalGate.Props(registry.Get<ActorKeys.CommandRegion>()), "journal-gate"));
            return Task.CompletedTask;
        });
}
