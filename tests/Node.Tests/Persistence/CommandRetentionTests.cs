using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Persistence;
using Akka.TestKit;
using CallCluster.Contracts;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Commands;
using CallCluster.Node.OpenSips;
using CallCluster.Node.Persistence;
using CallCluster.Node.Tests.Serialization;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Tests.Persistence;

/// <summary>Journal retention against the real Akka.Persistence.Sql plugin on an SQLite file configured as the node
/// configures it: the Ended event is tagged, the sweeper finds it through the SQL read journal, the entity deletes its
/// events, and what stays behind (one row flagged deleted, no tag row) is a tombstone the entity recognises.
/// The sweeper's clock is frozen between two commands' ends, so "older than the retention" is exact, not timed.</summary>
public sealed class CommandRetentionTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly CommandSettings Settings = new(
        EndConfirmTimeout: TimeSpan.FromSeconds(30),
        DialogAttachRetry: TimeSpan.FromSeconds(30),
        EndedLinger: TimeSpan.FromSeconds(30));

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly string _directory;
    private readonly TestProbe _mi;
    private readonly TestProbe _dialogs;
    private readonly IActorRef _region;

    public CommandRetentionTests() : this(Path.Combine(Path.GetTempPath(), "callcluster-retention-" + Guid.NewGuid().ToString("N")))
    {
    }

    private CommandRetentionTests(string directory) : base(SqliteJournalConfig.Create(Path.Combine(directory, "journal.db")))
    {
        _directory = directory;
        _mi = CreateTestProbe();
        _dialogs = CreateTestProbe();
        _region = Sys.ActorOf(Props.Create(() => new CommandRegionStandIn(_mi.Ref, _dialogs.Ref)), "commands");
    }

    [Fact]
    public void Ended_commands_past_the_retention_are_purged_a_bounded_number_per_sweep_and_leave_a_tombstone()
    {
        FinishCallEndFailed("old-failed");
        FinishCallEndOk("old-ok");
        var cutoff = DateTime.UtcNow;
        SpinUntil(() => DateTime.UtcNow > cutoff.AddMilliseconds(20));
        FinishCallEndOk("recent");
        StartRunningCallEnd("running");
        Assert.Equal(1, TagRows("command-old-failed"));
        Assert.Equal(1, TagRows("command-old-ok"));
        Assert.Equal((3, 0), JournalRows("command-old-ok"));

        var sweeps = CreateTestProbe();
        Sys.EventStream.Subscribe(sweeps.Ref, typeof(CommandRetentionSweeper.SweepCompleted));
        var retention = TimeSpan.FromSeconds(1);
        var sweeper = Sys.ActorOf(CommandRetentionSweeper.Props(_region,
            new CommandRetentionSettings(retention, TimeSpan.FromMilliseconds(100), MaxPurgesPerSweep: 1, PurgesPerSecond: 50,
                PurgeTimeout: TimeSpan.FromSeconds(5)),
            utcNow: () => cutoff + retention));

        // One purge per sweep: the two old commands take two sweeps, then sweeps find nothing (the recent one is
        // within the retention, the running one has no tag).
        Assert.Equal(1, sweeps.ExpectMsg<CommandRetentionSweeper.SweepCompleted>(Wait).Purged);
        Assert.Equal(1, NextSweepWithPurges(sweeps));
        Assert.Equal(0, sweeps.ExpectMsg<CommandRetentionSweeper.SweepCompleted>(Wait).Purged);
        Assert.Equal(0, sweeps.ExpectMsg<CommandRetentionSweeper.SweepCompleted>(Wait).Purged);

        foreach (var purged in new[] { "command-old-failed", "command-old-ok" })
        {
            // Akka.Persistence.Sql 1.5.73 (delete-compatibility-mode off) keeps the highest sequence number's row,
            // flagged deleted, and that row's tag row (the Ended event is always the highest): events-by-tag queries
            // skip it because they only read rows not flagged deleted (the restarted sweeper below shows it).
            var (rows, deleted) = JournalRows(purged);
            Assert.Equal((1, 1), (rows, deleted));
            Assert.Equal(1, TagRows(purged));
        }

        Assert.Equal((3, 0), JournalRows("command-recent"));
        Assert.Equal(1, TagRows("command-recent"));
        Assert.Equal((1, 0), JournalRows("command-running"));
        Assert.Equal(0, TagRows("command-running"));

        // A restarted sweeper starts from offset 0 and finds only what is left: nothing is purged twice.
        Watch(sweeper);
        Sys.Stop(sweeper);
        ExpectTerminated(sweeper);
        Sys.ActorOf(CommandRetentionSweeper.Props(_region,
            new CommandRetentionSettings(retention, TimeSpan.FromMilliseconds(100), 100, 50, TimeSpan.FromSeconds(5)),
            utcNow: () => cutoff + retention));
        Assert.Equal(0, NextSweep(sweeps));
    }

    [Fact]
    public void A_purged_command_answers_32001_and_its_cmd_id_cannot_be_reused_while_others_answer_as_before()
    {
        FinishCallEndOk("gone");
        FinishCallEndOk("kept");
        var client = CreateTestProbe();

        _region.Tell(new PurgeCommand("gone"), client.Ref);
        Assert.Equal(new CommandPurged("gone", Removed: true), client.ExpectMsg<CommandPurged>(Wait));
        AwaitAssert(() => Assert.Equal((1, 1), JournalRows("command-gone")), Wait);

        // The entity recovers from the tombstone (a fresh incarnation: the purged one passivated).
        AwaitAssert(() =>
        {
            _region.Tell(new GetCommand("gone"), client.Ref);
            var rejected = client.ExpectMsg<CommandRejected>(TimeSpan.FromSeconds(3));
            Assert.Equal(ErrorCodes.CallUnknown, rejected.Code);
            Assert.Equal("command gone ended and was removed after the retention period", rejected.Data);
        }, Wait);
        _region.Tell(new SubscribeCommand("gone", 0, client.Ref));
        Assert.Equal(ErrorCodes.CallUnknown, client.ExpectMsg<CommandRejected>(Wait).Code);
        _region.Tell(new StartCommand("gone", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "call-gone" },
            client.Ref));
        var reuse = client.ExpectMsg<CommandRejected>(Wait);
        Assert.Equal(ErrorCodes.InvalidParams, reuse.Code);
        Assert.Equal("cmd_id was used by a command that has been removed; choose another", reuse.Data);
        _region.Tell(new PurgeCommand("gone"), client.Ref);
        Assert.True(client.ExpectMsg<CommandPurged>(Wait).Removed);
        Assert.Equal((1, 1), JournalRows("command-gone"));

        _region.Tell(new GetCommand("kept"), client.Ref);
        Assert.Equal("ok", client.ExpectMsg<CommandSnapshot>(Wait).Status);
    }

    [Fact]
    public void A_running_command_keeps_its_events_when_asked_to_purge()
    {
        StartRunningCallEnd("busy");
        var client = CreateTestProbe();

        _region.Tell(new PurgeCommand("busy"), client.Ref);

        client.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal((1, 0), JournalRows("command-busy"));
        _region.Tell(new GetCommand("busy"), client.Ref);
        Assert.Equal("running", client.ExpectMsg<CommandSnapshot>(Wait).Status);
    }

    [Fact]
    public void After_a_delete_recovery_replays_nothing_but_keeps_the_highest_sequence_number()
    {
        FinishCallEndOk("seq");
        var client = CreateTestProbe();
        _region.Tell(new PurgeCommand("seq"), client.Ref);
        client.ExpectMsg<CommandPurged>(Wait);

        Sys.ActorOf(Props.Create(() => new RecoveryProbe("command-seq", TestActor)));

        Assert.Equal(new Recovered(Events: 0, LastSequenceNr: 3), ExpectMsg<Recovered>(Wait));
    }

    [Fact]
    public void Delete_keeps_the_highest_row_flagged_deleted_and_only_its_tag_row()
    {
        Sys.ActorOf(Props.Create(() => new TaggedWriter("probe-delete", TestActor)));

        ExpectMsg<DeleteMessagesSuccess>(Wait);
        Assert.Equal((1, 1), JournalRows("probe-delete"));
        Assert.Equal([3L], Column("SELECT sequence_nr FROM tags WHERE persistence_id = $id ORDER BY sequence_nr", "probe-delete"));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_directory);
    }

    private int NextSweepWithPurges(TestProbe sweeps)
    {
        int purged;
        do
        {
            purged = sweeps.ExpectMsg<CommandRetentionSweeper.SweepCompleted>(Wait).Purged;
        }
        while (purged == 0);

        return purged;
    }

    private int NextSweep(TestProbe sweeps) => sweeps.ExpectMsg<CommandRetentionSweeper.SweepCompleted>(Wait).Purged;

    /// <summary>CallEnd whose dlg_end_dlg answers 404: one notification (Ended failed), stored by a lone Emit.</summary>
    private void FinishCallEndFailed(string cmdId)
    {
        var (client, entity) = Attach(cmdId);
        _mi.FishForMessage(m => m is MiCall { Method: "dlg_end_dlg" }, Wait);
        entity.Tell(new MiFailure(null, "dlg_end_dlg", 404, "Requested Dialog not found", null), _mi.Ref);
        Assert.Equal("failed", client.ExpectMsg<CommandNotification>(Wait).Status);
    }

    /// <summary>CallEnd ending ok: CALL_END and Ended in one write (EmitEventThenEndOk).</summary>
    private void FinishCallEndOk(string cmdId)
    {
        var (client, entity) = Attach(cmdId);
        _mi.FishForMessage(m => m is MiCall { Method: "dlg_end_dlg" }, Wait);
        entity.Tell(new MiSuccess(null, "dlg_end_dlg", System.Text.Json.JsonDocument.Parse("\"OK\"").RootElement.Clone()), _mi.Ref);
        entity.Tell(new DialogEventNotice(cmdId, new DialogStateChanged("call-" + cmdId, "a.b", null, "ft", "tt", 4, 5)));
        Assert.Equal(EventCodes.CallEnd, client.ExpectMsg<CommandNotification>(Wait).Data);
        Assert.Equal("ok", client.ExpectMsg<CommandNotification>(Wait).Status);
    }

    /// <summary>CallEnd waiting for the proxy's answer: running, only its start stored.</summary>
    private void StartRunningCallEnd(string cmdId)
    {
        Attach(cmdId);
        _mi.FishForMessage(m => m is MiCall { Method: "dlg_end_dlg" }, Wait);
    }

    private (TestProbe Client, IActorRef Entity) Attach(string cmdId)
    {
        var client = CreateTestProbe();
        _region.Tell(new StartCommand(cmdId, CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "call-" + cmdId },
            client.Ref));
        Assert.False(client.ExpectMsg<CommandAccepted>(Wait).Existing);
        _dialogs.FishForMessage(m => m is AttachCommand a && a.CmdId == cmdId, Wait);
        var entity = _dialogs.LastSender;
        entity.Tell(new DialogAttached(cmdId, new DialogView("call-" + cmdId, "a.b", null, null, 4, [])), _dialogs.Ref);
        return (client, entity);
    }

    private static void SpinUntil(Func<bool> condition)
    {
        while (!condition())
        {
            Thread.Yield();
        }
    }

    private (int Rows, int Deleted) JournalRows(string persistenceId)
    {
        var rows = Query("SELECT COUNT(*), COALESCE(SUM(deleted), 0) FROM journal WHERE persistence_id = $id", persistenceId);
        return ((int)rows[0], (int)rows[1]);
    }

    private int TagRows(string persistenceId) =>
        (int)Query("SELECT COUNT(*) FROM tags WHERE persistence_id = $id AND tag = 'command-ended'", persistenceId)[0];

    private long[] Query(string sql, string persistenceId)
    {
        using var connection = new SqliteConnection(Sys.Settings.Config.GetString("akka.persistence.journal.sql.connection-string"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        reader.Read();
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetInt64).ToArray();
    }

    private List<long> Column(string sql, string persistenceId)
    {
        using var connection = new SqliteConnection(Sys.Settings.Config.GetString("akka.persistence.journal.sql.connection-string"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        var values = new List<long>();
        while (reader.Read())
        {
            values.Add(reader.GetInt64(0));
        }

        return values;
    }

    private sealed record Recovered(int Events, long LastSequenceNr);

    private sealed class RecoveryProbe : ReceivePersistentActor
    {
        private int _events;

        public RecoveryProbe(string persistenceId, IActorRef replyTo)
        {
            PersistenceId = persistenceId;
            Recover<RecoveryCompleted>(_ =>
            {
                replyTo.Tell(new Recovered(_events, LastSequenceNr));
                Context.Stop(Self);
            });
            RecoverAny(_ => _events++);
        }

        public override string PersistenceId { get; }
    }

    /// <summary>Persists three tagged events, deletes them all, reports the outcome.</summary>
    private sealed class TaggedWriter : ReceivePersistentActor
    {
        public TaggedWriter(string persistenceId, IActorRef replyTo)
        {
            PersistenceId = persistenceId;
            Recover<RecoveryCompleted>(_ => Self.Tell("write"));
            Command<string>(_ => PersistAll(
                Enumerable.Range(1, 3).Select(i => new Akka.Persistence.Journal.Tagged(new GetCommand("e" + i), ["probe"])),
                _ =>
                {
                    if (LastSequenceNr == 3)
                    {
                        DeleteMessages(3);
                    }
                }));
            Command<DeleteMessagesSuccess>(m => replyTo.Tell(m));
            Command<DeleteMessagesFailure>(m => replyTo.Tell(m));
        }

        public override string PersistenceId { get; }
    }

    /// <summary>Stands in for the command shard region: one CommandEntity child per cmd_id, and Passivate stops it
    /// (a later message starts a fresh incarnation, which recovers from the journal).</summary>
    private sealed class CommandRegionStandIn : ReceiveActor
    {
        private readonly Dictionary<string, IActorRef> _entities = [];
        private int _incarnation;

        public CommandRegionStandIn(IActorRef mi, IActorRef dialogs)
        {
            Receive<ICommandMessage>(m =>
            {
                if (!_entities.TryGetValue(m.CmdId, out var entity))
                {
                    entity = Context.ActorOf(CommandEntity.Props(m.CmdId, mi, dialogs, Settings), $"{m.CmdId}-{++_incarnation}");
                    _entities[m.CmdId] = entity;
                }

                entity.Forward(m);
            });
            Receive<Passivate>(p =>
            {
                foreach (var (cmdId, entity) in _entities.Where(e => e.Value.Equals(Sender)).ToList())
                {
                    _entities.Remove(cmdId);
                    entity.Tell(p.StopMessage);
                }
            });
        }
    }
}
