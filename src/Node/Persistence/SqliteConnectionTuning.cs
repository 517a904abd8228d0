using System.Data.Common;
using LinqToDB.Interceptors;

namespace CallCluster.Node.Persistence;

/// <summary>Applied to every SQLite connection the journal opens. In WAL mode <c>synchronous=NORMAL</c> syncs at
/// checkpoints instead of at every commit: a commit survives the process crashing (our failure model: a node dies
/// mid-call), only a power loss can lose the last commits. With FULL, each persist costs one fsync (~2 ms on this
/// disk) and a CallEnd makes several. <c>busy_timeout</c> lets concurrent writers wait instead of failing.
/// <c>wal_autocheckpoint</c>: copying the log into the database is <see cref="SqliteWalCheckpointer"/>'s job, in the
/// background. A commit checkpoints on its own (inside the commit; SQLite's default is at 1,000 pages) only once the log
/// is past <see cref="FallbackAutoCheckpointPages"/>. Under steady writes that is when the log restarts, and that
/// checkpoint copies only the frames since the background one; without the actor it bounds the log.</summary>
public sealed class SqliteConnectionTuning : ConnectionInterceptor
{
    /// <summary>16 MB of 4 KB pages.</summary>
    public const int FallbackAutoCheckpointPages = 4_096;

    private static readonly string Pragmas =
        $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA wal_autocheckpoint={FallbackAutoCheckpointPages};";

    public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
