using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Data;

namespace CallCluster.Node.Persistence;

/// <summary>The index every tag query needs and the plugin does not create: (tag, ordering) on the tag table.
///
/// Akka.Persistence.Sql's events-by-tag query asks for one tag's rows above an offset
/// (<c>… WHERE tags.tag = @tag AND tags.ordering_id &gt; @offset …</c>), but the plugin indexes the tag column alone.
/// SQLite then walks every row the tag has ever had, checking each one's ordering: a query's cost grew with the
/// journal's whole history instead of with what it returns. Measured by hand (sqlite3) on a journal of 482,000 rows
/// after four benchmark runs: the plugin's query for one 500-row page of <c>command-open</c> took 154 ms without this
/// index and 28 ms with it; and in those runs each CallEnd cost more CPU than the run before (docs/persistence.md,
/// "Reads by tag"). The command resumer, the retention sweeper and
/// every event subscription and webhook read by tag.
///
/// Created once per start, the first time the journal writes (the plugin has created its tables by then), alongside
/// that write: <c>IF NOT EXISTS</c> makes it a no-op on every later start. On PostgreSQL too (CONCURRENTLY: writes go on
/// while an existing journal is indexed). On SQLite, indexing an existing journal holds the database's write lock
/// meanwhile; writes wait for it up to the connections' busy timeout (10 s).</summary>
public static class TagOrderingIndex
{
    /// <summary>The statement, named and spelled after the journal's configured tag table and columns.</summary>
    public static string CreateStatement(JournalConfig journal)
    {
        var table = journal.TableConfig.TagTable;
        var schema = journal.TableConfig.SchemaName;
        var qualified = string.IsNullOrEmpty(schema) ? table.Name : $"{schema}.{table.Name}";
        var columns = table.ColumnNames;
        var concurrently = journal.ProviderName.StartsWith(ProviderName.PostgreSQL, StringComparison.Ordinal) ? "CONCURRENTLY " : "";
        return $"CREATE INDEX {concurrently}IF NOT EXISTS {table.Name}_{columns.Tag}_{columns.OrderingId}_idx " +
               $"ON {qualified} ({columns.Tag}, {columns.OrderingId})";
    }

    /// <summary>Runs <see cref="CreateStatement"/> on its own connection (the journal's options: on SQLite, its tuned
    /// connections with their busy timeout).</summary>
    public static async Task EnsureAsync(JournalConfig journal, CancellationToken cancellationToken)
    {
        var options = journal.DataOptions ?? new DataOptions().UseConnectionString(journal.ProviderName, journal.ConnectionString);
        await using var connection = new DataConnection(options);
        await connection.ExecuteAsync(CreateStatement(journal), cancellationToken).ConfigureAwait(false);
    }
}
