using LinqToDB;
using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Persistence;

/// <summary>Fills in the journal and snapshot-store connection strings from <c>callcluster.persistence</c>,
/// and switches an SQLite database to WAL mode before Akka opens it (measured: ~4x the write rate of the
/// default rollback journal with hundreds of entities persisting concurrently).</summary>
public static class PersistenceSetup
{
    public static Config Configure(Config config)
    {
        var provider = config.GetString("callcluster.persistence.provider", "sqlite");
        var connectionString = provider switch
        {
            "sqlite" => PrepareSqlite(config.GetString("callcluster.persistence.sqlite-file", "callcluster.db")),
            "postgres" => RequirePostgres(config.GetString("callcluster.persistence.postgres-connection-string", "")),
            _ => throw new ArgumentException($"callcluster.persistence.provider must be sqlite or postgres, not '{provider}'"),
        };

        var quoted = "\"" + connectionString.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        // The plugin's own reference configuration (plugin class names, table layout) is not loaded by Akka on
        // its own: it goes underneath everything else.
        return ConfigurationFactory.ParseString(
                $"akka.persistence.journal.sql.connection-string = {quoted}\n" +
                $"akka.persistence.snapshot-store.sql.connection-string = {quoted}\n" +
                $"akka.persistence.query.journal.sql.connection-string = {quoted}")
            .WithFallback(config)
            .WithFallback(RetentionJournalConfig)
            .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>Journal retention (docs/retention.md), the command resumer (docs/survival.md) and call events
    /// (docs/call-events.md): the write journal tags each command's start (<see cref="CommandOpenTagger"/>) and Ended
    /// event (<see cref="CommandEndedTagger"/>) and each call event (Events.CallEventTagger), and the read journal the
    /// sweeper, the resumer and the event feeds query reads the write journal's tables. Underneath the configuration, so
    /// the persistence-*.conf files can still override any of it.</summary>
    private static readonly Config RetentionJournalConfig = ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.sql {
          event-adapters.command-ended-tagger = "{{TypeName(typeof(CommandEndedTagger))}}"
          event-adapters.command-open-tagger = "{{TypeName(typeof(CommandOpenTagger))}}"
          event-adapters.call-event-tagger = "{{TypeName(typeof(Events.CallEventTagger))}}"
          event-adapter-bindings {
            "{{TypeName(typeof(Contracts.Journal.NotificationRecorded))}}" = command-ended-tagger
            "{{TypeName(typeof(Contracts.Journal.CommandStarted))}}" = command-open-tagger
            "{{TypeName(typeof(Contracts.Events.CallEventRecorded))}}" = call-event-tagger
          }
        }
        akka.persistence.query.journal.sql.write-plugin = "akka.persistence.journal.sql"
        """);

    private static string TypeName(Type type) => type.FullName + ", " + type.Assembly.GetName().Name;

    /// <summary>Whether the journal is the embedded SQLite file (the default) rather than PostgreSQL.</summary>
    public static bool UsesSqlite(Config config) =>
        config.GetString("callcluster.persistence.provider", "sqlite") == "sqlite";

    /// <summary>ActorSystem setups the journal needs: for SQLite, connections tuned by <see cref="SqliteConnectionTuning"/>.</summary>
    public static IReadOnlyList<Akka.Actor.Setup.Setup> Setups(Config config)
    {
        if (!UsesSqlite(config))
        {
            return [];
        }

        var connectionString = config.GetString("akka.persistence.journal.sql.connection-string");
        var options = new DataOptions()
            .UseConnectionString(ProviderName.SQLiteMS, connectionString)
            .UseInterceptor(new SqliteConnectionTuning());
        var setup = new Akka.Persistence.Sql.Config.MultiDataOptionsSetup();
        setup.AddDataOptions("akka.persistence.journal.sql", options);
        setup.AddDataOptions("akka.persistence.snapshot-store.sql", options);
        setup.AddDataOptions("akka.persistence.query.journal.sql", options);
        return [setup];
    }

    public static string DescribeStore(Config config) =>
        config.GetString("callcluster.persistence.provider", "sqlite") == "postgres"
            ? "PostgreSQL"
            : "SQLite file " + Path.GetFullPath(config.GetString("callcluster.persistence.sqlite-file", "callcluster.db"));

    private static string PrepareSqlite(string file)
    {
        var fullPath = Path.GetFullPath(file);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = fullPath, Pooling = true }.ToString();

        // journal_mode=WAL is stored in the database file, so setting it once here holds for every later connection.
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
        return connectionString;
    }

    private static string RequirePostgres(string connectionString) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? throw new ArgumentException("callcluster.persistence.provider is postgres but no connection string is set (CALLCLUSTER_PG)")
            : connectionString;
}
