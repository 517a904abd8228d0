using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using Akka.Persistence.Sql.Extensions;
using Akka.Persistence.Sql.Journal;
using Akka.Persistence.Sql.Journal.Types;
using CallCluster.Hosting.Metrics;
using LinqToDB;
using LinqToDB.Async;

namespace CallCluster.Node.Persistence;

/// <summary>Akka.Persistence.Sql's journal with batched recovery reads (docs/persistence.md, "The recovery read").
/// Every persistent entity that starts asks the journal for its highest sequence number before anything else; a
/// brand-new command has none, yet paid one query for it. Here those reads go through a
/// <see cref="HighestSequenceNrBatcher"/>: one <c>SELECT persistence_id, MAX(sequence_number) … WHERE persistence_id
/// IN (…) GROUP BY persistence_id</c> for every entity recovering at the same time, and ids without events learn it
/// from that query. Replays (ids with events) and writes are the plugin's own.
/// Configured as the journal's <c>class</c> in hocon/persistence-*.conf; settings <c>recovery-read-batch-size</c> and
/// <c>recovery-read-parallelism</c> in the journal's section.</summary>
public sealed class BatchedSqlWriteJournal : SqlWriteJournal
{
    /// <summary>Writes still running per persistence id: an id recovering while its previous incarnation's write is
    /// in flight (a restart right after a stop) takes the plugin's path, which waits for that write first.</summary>
    private readonly Dictionary<string, Task> _writesInProgress = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly HighestSequenceNrBatcher? _batcher;

    /// <summary>The journal's configuration with its connection options, for <see cref="TagOrderingIndex"/>; null once
    /// the index was asked for (or when the options cannot be read).</summary>
    private JournalConfig? _tagIndexPending;

    public BatchedSqlWriteJournal(Akka.Configuration.Config journalConfig) : base(journalConfig)
    {
        var config = journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration);
        var journal = SqlJournalSettings.Read(Context.System, journalConfig);
        if (journal is null || journal.DaoConfig.SqlCommonCompatibilityMode)
        {
            // The compatibility mode keeps highest sequence numbers in a metadata table as well; one DataOptionsSetup
            // for all plugins hides its options. Neither is used here: take the plugin's one query per read.
            Context.GetLogger().Warning("Recovery reads are not batched (compatibility mode, or a single DataOptionsSetup)");
            return;
        }

        _tagIndexPending = journal.PluginConfig.TagMode == TagMode.TagTable ? journal : null;
        var factory = new AkkaPersistenceDataConnectionFactory(journal);
        var isolation = journal.ReadIsolationLevel;
        var system = Context.System;
        _batcher = new HighestSequenceNrBatcher(
            (ids, ct) => QueryHighest(factory, isolation, ids, ct),
            config.GetInt("recovery-read-batch-size", 256),
            config.GetInt("recovery-read-parallelism", 1),
            batch =>
            {
                CallClusterMetrics.RecoveryReadBatch(batch.Reads);
                system.EventStream.Publish(batch);
            },
            _shutdown.Token);
    }

    /// <summary>The circuit breaker's token is not passed on: a query answers many reads, and one read timing out
    /// must not cancel the others' (the breaker fails that read by itself).</summary>
    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        _batcher is null || _writesInProgress.ContainsKey(persistenceId)
            ? base.ReadHighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken)
            : _batcher.ReadAsync(persistenceId, fromSequenceNr);

    /// <summary>An entity recovering with <see cref="KnownNewRecovery"/> has no events by construction: it is told so
    /// at once, without a query (the plugin would read the highest sequence number first whatever the recovery asks).
    /// Its first write still meets the journal's unique key (persistence id, sequence number), which refuses a
    /// sequence number already taken.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is ReplayMessages replay && KnownNewRecovery.Requested(replay))
        {
            CallClusterMetrics.RecoveryReadSkipped();
            replay.PersistentActor.Tell(new RecoverySuccess(0));
            return true;
        }

        return base.AroundReceive(receive, message);
    }

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages,
        CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyList<AtomicWrite> ?? messages.ToList();
        var written = base.WriteMessagesAsync(writes, cancellationToken);
        EnsureTagIndexOnce();
        var persistenceId = writes[0].PersistenceId;
        CallClusterMetrics.JournalWriteRequest(EntityType(persistenceId));
        _writesInProgress[persistenceId] = written;
        var self = Self;
        written.ContinueWith(t => self.Tell(new WriteDone(persistenceId, t)), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return written;
    }

    /// <summary>Asks for <see cref="TagOrderingIndex"/> on the first write: the tables exist by then. Not awaited: the
    /// write goes on, and a failure costs only speed (logged).</summary>
    private void EnsureTagIndexOnce()
    {
        if (_tagIndexPending is not { } journal)
        {
            return;
        }

        _tagIndexPending = null;
        var log = Context.GetLogger();
        var started = Stopwatch.GetTimestamp();
        TagOrderingIndex.EnsureAsync(journal, _shutdown.Token).ContinueWith(t =>
        {
            if (t.IsFaulted)
            {
                log.Warning(t.Exception!.GetBaseException(), "Could not create the journal's tag index; reads by tag will be slower");
            }
            else if (t.IsCompletedSuccessfully)
            {
                log.Debug("Journal tag index ensured in {0:0} ms", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The metric label: "command" for command entities (persistence id <c>command-CMDID</c>), else the id
    /// itself up to its first dash (singletons such as the command resumer keep their whole id). Commands, one request
    /// per round trip of every command, get the constant without cutting a new string.</summary>
    private static string EntityType(string persistenceId) =>
        persistenceId == Commands.CommandResumer.PersistenceIdValue ? persistenceId
        : persistenceId.StartsWith(CommandEntityType + "-", StringComparison.Ordinal) ? CommandEntityType
        : persistenceId.IndexOf('-') is > 0 and var dash ? persistenceId[..dash]
        : persistenceId;

    private const string CommandEntityType = "command";

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is WriteDone done)
        {
            if (_writesInProgress.TryGetValue(done.PersistenceId, out var latest) && latest == done.Write)
            {
                _writesInProgress.Remove(done.PersistenceId);
            }

            return true;
        }

        return base.ReceivePluginInternal(message);
    }

    protected override void PostStop()
    {
        _shutdown.Cancel();
        base.PostStop();
        _shutdown.Dispose();
    }

    /// <summary>As the plugin's native-mode read (highest sequence number, rows flagged deleted included), for many ids.
    /// Internal for the batching test, which runs it behind a gate.</summary>
    internal static Task<IReadOnlyDictionary<string, long>> QueryHighest(AkkaPersistenceDataConnectionFactory factory,
        System.Data.IsolationLevel isolation, IReadOnlyList<string> ids, CancellationToken ct) =>
        factory.ExecuteWithTransactionAsync<IReadOnlyDictionary<string, long>>(isolation, ct, async (connection, token) =>
        {
            var rows = await connection.GetTable<JournalRow>()
                .Where(r => ids.Contains(r.PersistenceId))
                .GroupBy(r => r.PersistenceId)
                .Select(g => new { PersistenceId = g.Key, Highest = g.Max(r => r.SequenceNumber) })
                .ToListAsync(token)
                .ConfigureAwait(false);
            return rows.ToDictionary(r => r.PersistenceId, r => r.Highest, StringComparer.Ordinal);
        });

    private sealed record WriteDone(string PersistenceId, Task Write);
}
