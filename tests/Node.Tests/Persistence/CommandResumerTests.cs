using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Journal;
using CallCluster.Node.Commands;
using CallCluster.Node.Persistence;
using CallCluster.Node.Tests.Serialization;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Tests.Persistence;

/// <summary>The command resumer against the product's journal on a real SQLite file: commands are written as the
/// entity writes them (a start, later an Ended notification), tagged by the product's event adapters; the resumer finds
/// through the SQL read journal the ones opened and not ended, wakes them through the region (a probe here) until each
/// answers, and moves its persisted watermark to just below the oldest one still open.</summary>
public sealed class CommandResumerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>No settle time (SQLite hands out offsets at commit), retries fast, no periodic scan during the test.</summary>
    private static readonly CommandResumerSettings Settings = new(
        ScanInterval: TimeSpan.FromHours(1), Settle: TimeSpan.Zero, WakeRetry: TimeSpan.FromMilliseconds(200),
        WakeGiveUp: TimeSpan.FromMinutes(1));

    private readonly string _directory;
    private readonly TestProbe _region;
    private readonly TestProbe _scans;

    public CommandResumerTests() : this(Path.Combine(Path.GetTempPath(), "callcluster-resumer-" + Guid.NewGuid().ToString("N")))
    {
    }

    private CommandResumerTests(string directory) : base(SqliteJournalConfig.Create(Path.Combine(directory, "journal.db")))
    {
        _directory = directory;
        _region = CreateTestProbe();
        _scans = CreateTestProbe();
        Sys.EventStream.Subscribe(_scans.Ref, typeof(CommandResumer.ScanCompleted));
    }

    [Fact]
    public void Open_commands_are_woken_until_they_answer_closed_ones_never_and_the_watermark_follows_the_oldest_open()
    {
        Write("closed-1", start: true, end: true);
        Write("open-1", start: true, end: false);
        Write("closed-2", start: true, end: true);
        Write("open-2", start: true, end: false);
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM tags WHERE persistence_id = $id AND tag = 'command-open'", "command-open-1"));

        var resumer = Sys.ActorOf(CommandResumer.Props(_region.Ref, Settings, watchMembers: false));

        // The start-up scan wakes exactly the two open ones.
        var first = _scans.ExpectMsg<CommandResumer.ScanCompleted>(Wait);
        Assert.Equal((0L, 2), (first.From, first.Open));
        var woken = new[] { ExpectWake(), ExpectWake() }.Order().ToArray();
        Assert.Equal(["open-1", "open-2"], woken);
        Assert.Equal(StartOffset("open-1") - 1, first.Watermark);

        // open-1 answers; open-2 does not, so it is woken again, and again, until it does.
        Answer(resumer, "open-1");
        Assert.Equal("open-2", ExpectWake());
        Assert.Equal("open-2", ExpectWake());
        Answer(resumer, "open-2");
        _region.ExpectNoMsg(TimeSpan.FromMilliseconds(600));

        // open-1 ends: the next scan starts at the watermark, wakes only open-2, and moves past open-1.
        Write("open-1", start: false, end: true);
        resumer.Tell(CommandResumer.Scan.Instance);
        var second = _scans.ExpectMsg<CommandResumer.ScanCompleted>(Wait);
        Assert.Equal((first.Watermark, 1), (second.From, second.Open));
        Assert.Equal("open-2", ExpectWake());
        Answer(resumer, "open-2");
        Assert.Equal(StartOffset("open-2") - 1, second.Watermark);

        // open-2 ends: nothing is open, the watermark reaches the last event seen, and nothing is woken.
        Write("open-2", start: false, end: true);
        resumer.Tell(CommandResumer.Scan.Instance);
        var third = _scans.ExpectMsg<CommandResumer.ScanCompleted>(Wait);
        Assert.Equal(0, third.Open);
        Assert.Equal(MaxOffset(), third.Watermark);
        _region.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // The watermark is persisted: a new incarnation (a restart, a singleton hand-over) scans from it.
        Watch(resumer);
        Sys.Stop(resumer);
        ExpectTerminated(resumer);
        Write("open-3", start: true, end: false);
        Sys.ActorOf(CommandResumer.Props(_region.Ref, Settings, watchMembers: false));
        var restarted = _scans.ExpectMsg<CommandResumer.ScanCompleted>(Wait);
        Assert.Equal((third.Watermark, 1), (restarted.From, restarted.Open));
        Assert.Equal("open-3", ExpectWake());
    }

    [Fact]
    public void The_watermark_waits_for_the_settle_time_before_passing_what_it_saw()
    {
        Write("ended", start: true, end: true);
        var clock = new[] { DateTime.UtcNow.Ticks };
        var resumer = Sys.ActorOf(CommandResumer.Props(_region.Ref, Settings with { Settle = TimeSpan.FromSeconds(10) },
            watchMembers: false, utcNow: () => new DateTime(Interlocked.Read(ref clock[0]), DateTimeKind.Utc)));

        // Seen just now: not yet settled, the watermark stays, however often it scans.
        var first = _scans.ExpectMsg<CommandResumer.ScanCompleted>(Wait);
        Assert.Equal((0, 0L), (first.Open, first.Watermark));
        Assert.True(first.MaxOffset > 0);
        resumer.Tell(CommandResumer.Scan.Instance);
        Assert.Equal(0L, _scans.ExpectMsg<CommandResumer.ScanCompleted>(Wait).Watermark);

        // The settle time later, what the first scan saw is settled: the watermark passes it.
        Interlocked.Add(ref clock[0], TimeSpan.FromSeconds(10).Ticks);
        resumer.Tell(CommandResumer.Scan.Instance);
        Assert.Equal(first.MaxOffset, _scans.ExpectMsg<CommandResumer.ScanCompleted>(Wait).Watermark);
        _region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void The_journal_indexes_tags_by_ordering_on_its_first_write_and_a_tag_range_reads_only_that_index()
    {
        Write("indexed", start: true, end: true);

        // Created alongside the first write, not awaited by it.
        AwaitAssert(() => Assert.Equal(1, Scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $id",
            "tags_tag_ordering_id_idx")), Wait, TimeSpan.FromMilliseconds(50));
        var plan = QueryPlan("SELECT ordering_id, persistence_id FROM tags WHERE tag = 'command-open' AND ordering_id > 0 ORDER BY ordering_id");
        Assert.Contains("USING INDEX tags_tag_ordering_id_idx (tag=? AND ordering_id>?)", plan);
        Assert.DoesNotContain("TEMP B-TREE", plan);
    }

    [Fact]
    public async Task Tagged_ids_come_back_in_journal_order_above_the_offset_across_pages()
    {
        string[] ids = ["t-1", "t-2", "t-3", "t-4", "t-5"];
        foreach (var id in ids)
        {
            Write(id, start: true, end: id == "t-2");
        }

        var journal = new Akka.Persistence.Sql.Config.JournalConfig(Sys.Settings.Config.GetConfig("akka.persistence.journal.sql")
            .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultJournalConfiguration));
        var reader = new TaggedEventIds(journal, pageSize: 2);

        var opened = await reader.ReadAsync("command-open", 0);
        Assert.Equal(ids.Select(id => "command-" + id), opened.Select(o => o.PersistenceId));
        Assert.Equal(ids.Select(StartOffset), opened.Select(o => o.Offset));

        var afterSecond = await reader.ReadAsync("command-open", StartOffset("t-2"));
        Assert.Equal(["command-t-3", "command-t-4", "command-t-5"], afterSecond.Select(o => o.PersistenceId));
        Assert.Equal(["command-t-2"], (await reader.ReadAsync("command-ended", 0)).Select(o => o.PersistenceId));
        Assert.Empty(await reader.ReadAsync("command-open", StartOffset("t-5")));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_directory);
    }

    private string ExpectWake() => _region.ExpectMsg<ResumeCommand>(Wait).CmdId;

    /// <summary><paramref name="cmdId"/> answers its wake. A retry the resumer sent before it took the answer may still be
    /// on its way (a CI run saw one): the reply to an Identify sent after the answer marks the point from which no wake
    /// of <paramref name="cmdId"/> may come, and wakes sent before that point are skipped.</summary>
    private void Answer(IActorRef resumer, string cmdId)
    {
        _region.Send(resumer, new CommandWoken(cmdId));
        _region.Send(resumer, new Identify(cmdId));
        _region.FishForMessage(m => m switch
        {
            ActorIdentity => true,
            ResumeCommand => false,
            _ => throw new InvalidOperationException("before the resumer took the answer of " + cmdId + ": " + m),
        }, Wait);
    }

    /// <summary>Writes what a command entity writes: its start (<see cref="CommandStarted"/>), its Ended notification.</summary>
    private void Write(string cmdId, bool start, bool end)
    {
        var events = new List<object>();
        if (start)
        {
            events.Add(new CommandStarted(cmdId, CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "c-" + cmdId },
                DateTimeOffset.UtcNow));
        }

        if (end)
        {
            events.Add(new NotificationRecorded(CommandNotification.EndedOk(cmdId, 1)));
        }

        var writer = Sys.ActorOf(Props.Create(() => new Writer("command-" + cmdId, events, TestActor)));
        ExpectMsg("written", Wait);
        Watch(writer);
        Sys.Stop(writer);
        ExpectTerminated(writer, Wait);
    }

    private long StartOffset(string cmdId) =>
        Scalar("SELECT ordering FROM journal WHERE persistence_id = $id AND sequence_number = 1", "command-" + cmdId);

    private long MaxOffset() => Scalar("SELECT MAX(ordering) FROM journal WHERE persistence_id LIKE 'command-%' AND persistence_id <> $id",
        CommandResumer.PersistenceIdValue);

    private long Scalar(string sql, string id)
    {
        using var connection = new SqliteConnection(Sys.Settings.Config.GetString("akka.persistence.journal.sql.connection-string"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        return (long)command.ExecuteScalar()!;
    }

    private string QueryPlan(string sql)
    {
        using var connection = new SqliteConnection(Sys.Settings.Config.GetString("akka.persistence.journal.sql.connection-string"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join("\n", lines);
    }

    /// <summary>Persists the given events in one write, then says so.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        public Writer(string persistenceId, IReadOnlyList<object> events, IActorRef report)
        {
            PersistenceId = persistenceId;
            Recover<RecoveryCompleted>(_ => PersistAll(events, e =>
            {
                if (ReferenceEquals(e, events[^1]))
                {
                    report.Tell("written");
                }
            }));
            Recover<object>(_ => { });
            Command<string>(_ => { });
        }

        public override string PersistenceId { get; }
    }
}
