using Akka.Actor;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;

namespace CallCluster.Node.Persistence;

/// <summary>The SQL journal's configuration as the plugin itself reads it, with the connection options it is given
/// (PersistenceSetup: on SQLite, connections tuned by <see cref="SqliteConnectionTuning"/>), for the product's own
/// queries beside the plugin's: batched recovery reads, the tag index, the command resumer's scan.</summary>
public static class SqlJournalSettings
{
    public const string JournalPath = "akka.persistence.journal.sql";

    /// <summary>The journal's configuration from <paramref name="journalSection"/> (its HOCON section), with the
    /// options of a MultiDataOptionsSetup for it when there is one. Null when a single DataOptionsSetup is present:
    /// its options cannot be read from outside the plugin.</summary>
    public static JournalConfig? Read(ActorSystem system, Akka.Configuration.Config journalSection)
    {
        var journal = new JournalConfig(journalSection.WithFallback(SqlPersistence.DefaultJournalConfiguration));
        var setup = system.Settings.Setup;
        if (setup.Get<DataOptionsSetup>().HasValue)
        {
            return null;
        }

        var multi = setup.Get<MultiDataOptionsSetup>();
        return journal.PluginId is not null && multi.HasValue && multi.Value.TryGetDataOptionsFor(journal.PluginId, out var options)
            ? journal.WithDataOptions(options!)
            : journal;
    }

    /// <summary>The configured journal (<see cref="JournalPath"/>), as <see cref="Read(ActorSystem, Akka.Configuration.Config)"/>;
    /// without the readable options, the plain configuration (connection string only).</summary>
    public static JournalConfig Read(ActorSystem system)
    {
        var section = system.Settings.Config.GetConfig(JournalPath);
        return Read(system, section) ?? new JournalConfig(section.WithFallback(SqlPersistence.DefaultJournalConfiguration));
    }
}
