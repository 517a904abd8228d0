using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using CallCluster.Contracts.Journal;
using CallCluster.Node.Persistence;
using CallCluster.Node.Tests.Serialization;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Tests.Persistence;

/// <summary>The product's journal (<see cref="BatchedSqlWriteJournal"/>, configured by hocon/persistence-sqlite.conf)
/// on a real SQLite file: entities recovering at the same time share one highest-sequence-number query, and each still
/// recovers exactly what it stored (events, sequence numbers, deleted events), or nothing for a fresh id.</summary>
public sealed class BatchedSqlWriteJournalTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly string _directory;

    public BatchedSqlWriteJournalTests() : this(Path.Combine(Path.GetTempPath(), "callcluster-batched-" + Guid.NewGuid().ToString("N")))
    {
    }

    private BatchedSqlWriteJournalTests(string directory) : base(SqliteJournalConfig.Create(Path.Combine(directory, "journal.db")))
    {
        _directory = directory;
    }

    [Fact]
    public void The_product_journal_is_the_batched_one()
    {
        Assert.Equal("CallCluster.Node.Persistence.BatchedSqlWriteJournal, CallCluster.Node",
            Sys.Settings.Config.GetString("akka.persistence.journal.sql.class"));
    }

    [Fact]
    public void Many_concurrent_recoveries_share_few_queries_and_each_recovers_what_it_stored()
    {
        // Stored beforehand, one entity at a time: 3 events; 2 events of which 1 deleted; 5 events all deleted but the
        // highest (the plugin keeps that row flagged deleted, so the sequence number never goes back).
        Store("with-three", 3);
        Store("with-two", 2, deleteTo: 1);
        Store("with-five", 5, deleteTo: 5);

        var batches = CreateTestProbe();
        Sys.EventStream.Subscribe(batches.Ref, typeof(RecoveryReadBatch));

        var ids = new List<string> { "with-three", "with-two", "with-five" };
        ids.AddRange(Enumerable.Range(0, 197).Select(i => "fresh-" + i));
        foreach (var id in ids)
        {
            Sys.ActorOf(Props.Create(() => new Recorder(id, TestActor, 0, 0)));
        }

        var recovered = ids.Select(_ => ExpectMsg<Recovered>(Wait)).ToDictionary(r => r.PersistenceId);
        Assert.Equal(ids.Count, recovered.Count);
        Assert.Equal(new Recovered("with-three", [1L, 2L, 3L], 3L), recovered["with-three"]);
        Assert.Equal(new Recovered("with-two", [2L], 2L), recovered["with-two"]);
        Assert.Equal(new Recovered("with-five", [], 5L), recovered["with-five"]);
        foreach (var id in ids.Where(i => i.StartsWith("fresh-", StringComparison.Ordinal)))
        {
            Assert.Equal(new Recovered(id, [], 0L), recovered[id]);
        }

        // Every read answered through the batched path, none twice. How many share a query depends on how the
        // recoveries arrive (the batching itself is proven behind a gate below).
        var seen = new List<RecoveryReadBatch>();
        while (seen.Sum(b => b.Reads) < ids.Count)
        {
            seen.Add(batches.ExpectMsg<RecoveryReadBatch>(Wait));
        }

        Assert.Equal(ids.Count, seen.Sum(b => b.Reads));
        Assert.Equal(3, seen.Sum(b => b.WithEvents));
        batches.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Reads_queued_while_a_query_runs_go_together_in_one_query_of_the_real_journal()
    {
        Store("has-four", 4);
        var journal = new JournalConfig(Sys.Settings.Config.GetConfig("akka.persistence.journal.sql")
            .WithFallback(SqlPersistence.DefaultJournalConfiguration));
        var factory = new AkkaPersistenceDataConnectionFactory(journal);
        var firstQueryRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queries = new List<IReadOnlyList<string>>();
        var batcher = new HighestSequenceNrBatcher(async (ids, ct) =>
        {
            lock (queries)
            {
                queries.Add(ids);
            }

            if (queries.Count == 1)
            {
                firstQueryRunning.SetResult();
                await release.Task; // the first query is slow: everything else queues behind it
            }

            return await BatchedSqlWriteJournal.QueryHighest(factory, journal.ReadIsolationLevel, ids, ct);
        }, maxBatchSize: 256, parallelism: 1, onBatch: null, CancellationToken.None);

        var lone = batcher.ReadAsync("fresh-first", 0);
        await firstQueryRunning.Task.WaitAsync(Wait);
        var queued = Enumerable.Range(0, 150).Select(i => (Id: "fresh-" + i, Read: batcher.ReadAsync("fresh-" + i, 0))).ToList();
        var withEvents = batcher.ReadAsync("has-four", 0);
        var above = batcher.ReadAsync("has-four", 4); // nothing above sequence number 4
        release.SetResult();

        Assert.Equal(0L, await lone.WaitAsync(Wait));
        Assert.All(await Task.WhenAll(queued.Select(q => q.Read)).WaitAsync(Wait), highest => Assert.Equal(0L, highest));
        Assert.Equal(4L, await withEvents.WaitAsync(Wait));
        Assert.Equal(0L, await above.WaitAsync(Wait));
        // One query for the lone read, one for the 152 reads that queued behind it (151 distinct ids).
        Assert.Equal(2, queries.Count);
        Assert.Equal(["fresh-first"], queries[0]);
        Assert.Equal(151, queries[1].Count);
    }

    [Fact]
    public void A_lone_recovery_is_answered_by_its_own_query_and_a_fresh_entity_can_write_after_it()
    {
        var batches = CreateTestProbe();
        Sys.EventStream.Subscribe(batches.Ref, typeof(RecoveryReadBatch));

        Store("lone", 2);
        Assert.Equal(new RecoveryReadBatch(1, 1, 0), batches.ExpectMsg<RecoveryReadBatch>(Wait));

        Sys.ActorOf(Props.Create(() => new Recorder("lone", TestActor, 0, 0)));
        Assert.Equal(new Recovered("lone", [1L, 2L], 2L), ExpectMsg<Recovered>(Wait));
        Assert.Equal(new RecoveryReadBatch(1, 1, 1), batches.ExpectMsg<RecoveryReadBatch>(Wait));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_directory);
    }

    /// <summary>Starts a recorder that writes <paramref name="events"/> events (then deletes up to
    /// <paramref name="deleteTo"/>), and waits until it has.</summary>
    private void Store(string persistenceId, int events, long deleteTo = 0)
    {
        var writer = Sys.ActorOf(Props.Create(() => new Recorder(persistenceId, TestActor, events, deleteTo)));
        ExpectMsg<Recovered>(Wait);
        ExpectMsg<Stored>(Wait);
        Watch(writer);
        writer.Tell(PoisonPill.Instance);
        ExpectTerminated(writer, Wait);
    }

    private sealed record Recovered(string PersistenceId, long[] Events, long LastSequenceNr)
    {
        public bool Equals(Recovered? other) =>
            other is not null && PersistenceId == other.PersistenceId && Events.SequenceEqual(other.Events) &&
            LastSequenceNr == other.LastSequenceNr;

        public override int GetHashCode() => HashCode.Combine(PersistenceId, LastSequenceNr);
    }

    private sealed record Stored(string PersistenceId);

    /// <summary>Reports what it recovered (sequence numbers of the replayed events), then persists
    /// <c>write</c> events, deletes up to <c>deleteTo</c> and reports <see cref="Stored"/>.</summary>
    private sealed class Recorder : ReceivePersistentActor
    {
        private readonly List<long> _replayed = [];

        public Recorder(string persistenceId, IActorRef report, int write, long deleteTo)
        {
            PersistenceId = persistenceId;
            Recover<HoldRequested>(_ => _replayed.Add(LastSequenceNr));
            Recover<RecoveryCompleted>(_ =>
            {
                report.Tell(new Recovered(persistenceId, [.. _replayed], LastSequenceNr));
                if (write == 0)
                {
                    return;
                }

                PersistAll(Enumerable.Range(0, write).Select(_ => new HoldRequested()), _ =>
                {
                    if (LastSequenceNr < write)
                    {
                        return;
                    }

                    if (deleteTo > 0)
                    {
                        DeleteMessages(deleteTo);
                    }
                    else
                    {
                        report.Tell(new Stored(persistenceId));
                    }
                });
            });
            Command<DeleteMessagesSuccess>(_ => report.Tell(new Stored(persistenceId)));
            Command<DeleteMessagesFailure>(f => throw f.Cause);
        }

        public override string PersistenceId { get; }

        public override Recovery Recovery => new(SnapshotSelectionCriteria.None);
    }
}
