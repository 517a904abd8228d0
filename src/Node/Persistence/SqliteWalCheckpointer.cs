using Akka.Actor;
using Akka.Event;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Persistence;

/// <summary>Runs SQLite's write-ahead-log checkpoints on a connection of its own, every <c>every</c> (200 ms), so that
/// journal writes rarely pay for one (docs/persistence.md, "SQLite checkpoints").
/// <para>Why: by default the commit that takes the log past 1,000 pages copies the log into the database and syncs it
/// before it returns, and the journal's single write stream waits behind it. At one command at a time that was the
/// 99th-percentile reply (bench/README.md). This actor checkpoints PASSIVE: it never waits for a reader or a writer,
/// and writers go on appending while it copies. The journal's connections still checkpoint on their own past
/// <see cref="SqliteConnectionTuning.FallbackAutoCheckpointPages"/>: under steady writes that is what restarts the log
/// (SQLite restarts it only when a write begins with every frame already copied, which a background checkpoint racing
/// the writes rarely leaves), and by then this actor has copied all but the last few frames.</para>
/// <para>It is also the guard against the log growing without bound: a read that stays open pins the frames written
/// after it began, and the checkpoint's answer says how many it could not copy. Past <c>warnFrames</c> it logs a
/// warning once, and an info line once they are copied again.</para>
/// <para>States: <see cref="Waiting"/> for the next tick, <see cref="Checkpointing"/> while one runs (ticks then are
/// dropped: checkpoints never queue up).</para></summary>
public sealed class SqliteWalCheckpointer : ReceiveActor, IWithTimers
{
    private readonly string _connectionString;
    private readonly long _warnFrames;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _warned;
    private bool _failing;

    public SqliteWalCheckpointer(string connectionString, TimeSpan every, long warnFrames)
    {
        _connectionString = connectionString;
        _warnFrames = warnFrames;
        Waiting();
        Timers.StartPeriodicTimer("checkpoint", Tick.Instance, every);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string connectionString, TimeSpan every, long warnFrames) =>
        Akka.Actor.Props.Create(() => new SqliteWalCheckpointer(connectionString, every, warnFrames));

    private void Waiting()
    {
        Receive<Tick>(_ =>
        {
            // Microsoft.Data.Sqlite's async methods complete synchronously: the checkpoint runs on the thread pool,
            // never on this actor's thread.
            var connectionString = _connectionString;
            Task.Run(() => Checkpoint(connectionString)).PipeTo(Self,
                success: result => result,
                failure: cause => new CheckpointFailed(cause));
            Become(Checkpointing);
        });
    }

    private void Checkpointing()
    {
        Receive<Tick>(_ => { });
        Receive<CheckpointResult>(result =>
        {
            if (_failing)
            {
                _failing = false;
                _log.Info("SQLite checkpoints succeed again");
            }

            Report(result);
            Become(Waiting);
        });
        Receive<CheckpointFailed>(failed =>
        {
            // SQLITE_BUSY: another connection (a second node on the same file, a tool) is checkpointing: expected, and
            // the next tick tries again. Anything else (the file gone, unreadable) is logged once until one succeeds.
            if (failed.Cause is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_BUSY })
            {
                _log.Debug("SQLite checkpoint not run: {0}", failed.Cause.Message);
            }
            else if (!_failing)
            {
                _failing = true;
                _log.Warning("SQLite checkpoints fail: {0}: {1}", failed.Cause.GetType().Name, failed.Cause.Message);
            }

            Become(Waiting);
        });
    }

    private void Report(CheckpointResult result)
    {
        SqliteMetrics.WalFrames.Set(result.LogFrames);
        SqliteMetrics.WalFramesNotCheckpointed.Set(result.NotCheckpointed);
        if (!_warned && result.NotCheckpointed > _warnFrames)
        {
            _warned = true;
            _log.Warning(
                "SQLite's write-ahead log holds {0} frames it could not copy into the database ({1} in all): a read that began " +
                "before they were written is still open, and the log grows until it ends",
                result.NotCheckpointed, result.LogFrames);
        }
        else if (_warned && result.NotCheckpointed <= _warnFrames)
        {
            _warned = false;
            _log.Info("SQLite's write-ahead log is copied into the database again ({0} frames left)", result.NotCheckpointed);
        }
    }

    /// <summary>One PASSIVE checkpoint. Its answer row: busy (0 for PASSIVE), frames in the log, frames copied (-1, -1
    /// when the database is not in WAL mode).</summary>
    internal static CheckpointResult Checkpoint(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        reader.Read();
        var logFrames = Math.Max(0, reader.GetInt64(1));
        var checkpointed = Math.Max(0, reader.GetInt64(2));
        return new CheckpointResult(logFrames, logFrames - checkpointed);
    }

    internal sealed record CheckpointResult(long LogFrames, long NotCheckpointed);

    private sealed record CheckpointFailed(Exception Cause);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
