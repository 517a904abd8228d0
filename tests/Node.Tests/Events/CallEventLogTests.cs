using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using CallCluster.Contracts.Events;
using CallCluster.Node.Events;
using CallCluster.Node.Tests.Serialization;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Tests.Events;

/// <summary>The node's call-event writer on the product's journal (a real SQLite file): a burst sent at once is written
/// in batches, one at a time, and every event lands once, in the order it was told, tagged for the feeds.</summary>
public sealed class CallEventLogTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _directory;

    public CallEventLogTests() : this(Path.Combine(Path.GetTempPath(), "callcluster-eventlog-" + Guid.NewGuid().ToString("N")))
    {
    }

    private CallEventLogTests(string directory) : base(SqliteJournalConfig.Create(Path.Combine(directory, "journal.db")))
    {
        _directory = directory;
    }

    [Fact]
    public async Task A_burst_is_written_in_batches_each_event_once_and_in_the_order_it_came()
    {
        var log = Sys.ActorOf(CallEventLog.Props("test", maxBatch: 50));
        var sent = Enumerable.Range(1, 1_000)
            .Select(i => new CallEventRecorded(CallEventNames.Answered, "call-" + i, 1, i, "sip:a@x", "sip:b@x", null, null, null, null, null))
            .ToList();
        foreach (var e in sent)
        {
            log.Tell(e);
        }

        var readJournal = PersistenceQuery.Get(Sys).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        IReadOnlyList<CallEventRecorded> stored = [];
        await AwaitAssertAsync(async () =>
        {
            stored = (await readJournal.CurrentEventsByTag(CallEventNames.Tag, Offset.NoOffset())
                    .RunWith(Sink.Seq<EventEnvelope>(), Sys.Materializer()))
                .Select(e => (CallEventRecorded)e.Event).ToList();
            Assert.Equal(sent.Count, stored.Count);
        }, Wait, TimeSpan.FromMilliseconds(100));

        Assert.Equal(sent.Select(e => e.CallId), stored.Select(e => e.CallId));
        // One writer, one persistence id, sequence numbers without gaps: each event written once.
        using var connection = new SqliteConnection(Sys.Settings.Config.GetString("akka.persistence.journal.sql.connection-string"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(DISTINCT persistence_id), MIN(sequence_number), MAX(sequence_number), COUNT(*) FROM journal WHERE persistence_id LIKE 'call-events-test-%'";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal((1L, 1L, 1_000L, 1_000L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_directory);
    }
}
