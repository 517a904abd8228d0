using CallCluster.Node.Persistence;
using CallCluster.TestSupport;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Tests.Persistence;

/// <summary>SQLite's write-ahead log with the journal's connection settings and the background checkpointer, on a real
/// file: journal commits no longer checkpoint at SQLite's default 1,000 pages, the checkpointer copies every frame, the
/// log restarts once it has, and a read that pins the log or a checkpoint that cannot run is reported once.</summary>
public sealed class SqliteWalCheckpointerTests : Akka.TestKit.Xunit2.TestKit
{
    private const int PageSize = 4096;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "callcluster-checkpoint-" + Guid.NewGuid().ToString("N"));
    private readonly string _connectionString;

    public SqliteWalCheckpointerTests() : base("akka.loglevel = INFO")
    {
        Directory.CreateDirectory(_directory);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = DatabaseFile, Pooling = true }.ToString();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var setup = connection.CreateCommand();
        setup.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);";
        setup.ExecuteNonQuery();
    }

    [Fact]
    public void Journal_commits_leave_the_log_to_the_checkpointer_which_copies_every_frame_and_the_log_restarts()
    {
        using var writer = JournalConnection();
        WriteRows(writer, rows: 1_500);

        // SQLite's default would have checkpointed and restarted the log at 1,000 pages: it holds every frame.
        var walBytes = new FileInfo(DatabaseFile + "-wal").Length;
        Assert.True(walBytes > 1_500L * PageSize, $"write-ahead log {walBytes} B, expected more than 1,500 pages");

        var first = SqliteWalCheckpointer.Checkpoint(_connectionString);
        Assert.True(first.LogFrames >= 1_500, $"{first.LogFrames} frames in the log");
        Assert.Equal(0, first.NotCheckpointed);

        // Every frame copied and nobody reading: the next commit starts the log over from its first frame.
        WriteRows(writer, rows: 1);
        var second = SqliteWalCheckpointer.Checkpoint(_connectionString);
        Assert.InRange(second.LogFrames, 1, 10);
        Assert.Equal(1_501, Count(writer));
    }

    [Fact]
    public void A_read_that_pins_the_log_is_warned_about_once_and_its_end_is_logged()
    {
        using var writer = JournalConnection();
        WriteRows(writer, rows: 1);
        using var reader = JournalConnection();
        using var pin = reader.BeginTransaction(deferred: true);
        Assert.Equal(1, Count(reader, pin)); // the read snapshot is taken here and held until the transaction ends

        var checkpointer = Sys.ActorOf(SqliteWalCheckpointer.Props(_connectionString, TimeSpan.FromMilliseconds(50), warnFrames: 200));
        EventFilter.Warning(contains: "could not copy").ExpectOne(TimeSpan.FromSeconds(10), () => WriteRows(writer, rows: 300));
        // Still pinned: no second warning over several more checkpoints.
        EventFilter.Warning(contains: "could not copy").Expect(0, TimeSpan.FromMilliseconds(500), () => { });

        EventFilter.Info(contains: "copied into the database again").ExpectOne(TimeSpan.FromSeconds(10), () => pin.Rollback());
        Sys.Stop(checkpointer);
    }

    [Fact]
    public void A_checkpoint_that_cannot_run_is_warned_about_once()
    {
        var missing = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_directory, "no-such-folder", "journal.db"),
            Mode = SqliteOpenMode.ReadWrite,
        }.ToString();

        EventFilter.Warning(contains: "SQLite checkpoints fail").ExpectOne(TimeSpan.FromSeconds(10),
            () => Sys.ActorOf(SqliteWalCheckpointer.Props(missing, TimeSpan.FromMilliseconds(50), warnFrames: 200)));
        EventFilter.Warning(contains: "SQLite checkpoints fail").Expect(0, TimeSpan.FromMilliseconds(500), () => { });
    }

    private string DatabaseFile => Path.Combine(_directory, "journal.db");

    /// <summary>A connection as the journal opens it: WAL mode, then <see cref="SqliteConnectionTuning"/>'s pragmas.</summary>
    private SqliteConnection JournalConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        new SqliteConnectionTuning().ConnectionOpened(default, connection);
        return connection;
    }

    /// <summary>One commit per row, each row a page and a half: about two frames per commit.</summary>
    private static void WriteRows(SqliteConnection connection, int rows)
    {
        var payload = new byte[PageSize * 3 / 2];
        for (var i = 0; i < rows; i++)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO rows (payload) VALUES ($payload)";
            insert.Parameters.AddWithValue("$payload", payload);
            insert.ExecuteNonQuery();
        }
    }

    private static long Count(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var count = connection.CreateCommand();
        count.Transaction = transaction;
        count.CommandText = "SELECT COUNT(*) FROM rows";
        return (long)count.ExecuteScalar()!;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_directory);
    }
}
