using Akka.Actor;
using Akka.Persistence;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Contracts.Serialization;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Tests.Serialization;

/// <summary>Replays Fixtures/journal-v1.db — written by the fork-point code, with full-type-name manifests (see the
/// README there) — through the real Akka.Persistence.Sql plugin with today's serializer, and checks every event's
/// values. Depends only on the journal event types, not on the entities that wrote them.</summary>
public sealed class JournalReplayTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly string _directory;

    public JournalReplayTests() : this(CopyFixture())
    {
    }

    private JournalReplayTests(string copy) : base(SqliteJournalConfig.Create(copy))
    {
        _directory = Path.GetDirectoryName(copy)!;
    }

    [Fact]
    public void A_finished_CallEnd_replays_its_start_and_notifications()
    {
        var events = Replay("command-fx-end-1");

        Assert.Equal([1L, 2L, 3L], events.Select(e => e.SequenceNr));
        var started = Assert.IsType<CommandStarted>(events[0].Event);
        Assert.Equal(("fx-end-1", CommandMethods.CallEnd), (started.CmdId, started.Method));
        Assert.Equal([KeyValuePair.Create("callid", "fx-call-1")], started.Params);
        AssertInstant(DateTimeOffset.FromUnixTimeSeconds(1_796_284_823).AddTicks(9_416_306), started.StartedAt);
        Assert.Equal(
            new NotificationRecorded(new CommandNotification("fx-end-1", 1, NotificationKind.Event, EventCodes.CallEnd, "fx-call-1")),
            events[1].Event);
        Assert.Equal(new NotificationRecorded(CommandNotification.EndedOk("fx-end-1", 2)), events[2].Event);
    }

    [Fact]
    public void A_finished_CallHold_replays_its_step_and_one_notification_per_leg()
    {
        var events = Replay("command-fx-hold-1");

        Assert.Equal([1L, 2L, 3L, 4L, 5L], events.Select(e => e.SequenceNr));
        var started = Assert.IsType<CommandStarted>(events[0].Event);
        Assert.Equal(("fx-hold-1", CommandMethods.CallHold), (started.CmdId, started.Method));
        Assert.Equal([KeyValuePair.Create("callid", "fx-call-2")], started.Params);
        AssertInstant(DateTimeOffset.FromUnixTimeSeconds(1_796_284_824).AddTicks(5_583_683), started.StartedAt);
        Assert.Equal(new CommandStepRecorded("hold-sent", null), events[1].Event);
        Assert.Equal(new NotificationRecorded(CommandNotification.Event("fx-hold-1", 1, EventCodes.CallHold, "fx-call-2", "caller")), events[2].Event);
        Assert.Equal(new NotificationRecorded(CommandNotification.Event("fx-hold-1", 2, EventCodes.CallHold, "fx-call-2", "callee")), events[3].Event);
        Assert.Equal(new NotificationRecorded(CommandNotification.EndedOk("fx-hold-1", 3)), events[4].Event);
    }

    [Fact]
    public void A_running_CallStart_replays_its_params_and_the_step_value()
    {
        var events = Replay("command-fx-start-1");

        Assert.Equal([1L, 2L], events.Select(e => e.SequenceNr));
        var started = Assert.IsType<CommandStarted>(events[0].Event);
        Assert.Equal(("fx-start-1", CommandMethods.CallStart), (started.CmdId, started.Method));
        Assert.Equal(
            new Dictionary<string, string> { ["caller"] = "sip:alice@example.com", ["callee"] = "sip:bob@example.com" },
            started.Params.ToDictionary());
        AssertInstant(DateTimeOffset.FromUnixTimeSeconds(1_796_284_824).AddTicks(6_245_411), started.StartedAt);
        Assert.Equal(new CommandStepRecorded("placeholder-callid", "cc-457474111e2048b688b404d60ec32891"), events[1].Event);
    }

    [Fact]
    public void A_dialog_replays_states_attach_hold_and_detach()
    {
        var events = Replay("dialog-fx-call-1");

        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], events.Select(e => e.SequenceNr));
        Assert.Equal(
            [
                new DialogStateRecorded("1f5.85c96ae2", "1337", "ft-1", null, 1, 2),
                new DialogStateRecorded("1f5.85c96ae2", "1337", "ft-1", "tt-1", 3, 4),
                new DialogCommandAttached("fx-end-1", DialogOperation.End),
                new DialogHoldRecorded("caller", true),
                new DialogCommandDetached("fx-end-1"),
                new DialogStateRecorded("1f5.85c96ae2", "1337", "ft-1", "tt-1", 4, 5),
            ],
            events.Select(e => e.Event));
    }

    [Fact]
    public void Events_appended_with_short_manifests_replay_after_the_legacy_ones()
    {
        var appended = new DialogCommandAttached("fx-hold-1", DialogOperation.Hold);
        var writer = Sys.ActorOf(Props.Create(() => new JournalReader("dialog-fx-call-1", TestActor, appended)));
        Watch(writer);
        Assert.Equal(6, ExpectReplayed().Count);
        ExpectTerminated(writer);

        var events = Replay("dialog-fx-call-1");

        Assert.Equal(7L, events[^1].SequenceNr);
        Assert.Equal(appended, events[^1].Event);
        Assert.Equal(new DialogStateRecorded("1f5.85c96ae2", "1337", "ft-1", "tt-1", 4, 5), events[^2].Event);
        Assert.Equal(
            [("CallCluster.Contracts.Journal.DialogStateRecorded", 6L), (ManifestTable.ManifestOf(typeof(DialogCommandAttached)), 7L)],
            StoredManifests("dialog-fx-call-1").TakeLast(2));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_directory);
    }

    private static string CopyFixture()
    {
        var directory = Path.Combine(Path.GetTempPath(), "callcluster-replay-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var copy = Path.Combine(directory, "journal.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "journal-v1.db"), copy);
        return copy;
    }

    private static void AssertInstant(DateTimeOffset expected, DateTimeOffset actual) =>
        Assert.Equal((expected.UtcTicks, TimeSpan.Zero), (actual.UtcTicks, actual.Offset));

    private List<(long SequenceNr, object Event)> Replay(string persistenceId)
    {
        Sys.ActorOf(Props.Create(() => new JournalReader(persistenceId, TestActor, null)));
        return ExpectReplayed();
    }

    private List<(long SequenceNr, object Event)> ExpectReplayed() => ExpectMsg<object>(TimeSpan.FromSeconds(30)) switch
    {
        Replayed replayed => replayed.Events,
        RecoveryFailed failed => throw new Xunit.Sdk.XunitException("Replay failed: " + failed.Cause),
        var other => throw new Xunit.Sdk.XunitException("Unexpected " + other),
    };

    /// <summary>Only to show which manifest each row was stored under; the events themselves are read through Akka.</summary>
    private IEnumerable<(string Manifest, long SequenceNr)> StoredManifests(string persistenceId)
    {
        using var connection = new SqliteConnection(Sys.Settings.Config.GetString("akka.persistence.journal.sql.connection-string"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT manifest, sequence_number FROM journal WHERE persistence_id = $id ORDER BY sequence_number";
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        var rows = new List<(string, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return rows;
    }

    private sealed record Replayed(List<(long SequenceNr, object Event)> Events);

    private sealed record RecoveryFailed(Exception Cause);

    /// <summary>Recovers <paramref name="persistenceId"/> through the configured journal, reports every event with its
    /// sequence number, optionally persists <paramref name="append"/>, then stops.</summary>
    private sealed class JournalReader : ReceivePersistentActor
    {
        private readonly IActorRef _replyTo;

        public JournalReader(string persistenceId, IActorRef replyTo, object? append)
        {
            _replyTo = replyTo;
            PersistenceId = persistenceId;
            var events = new List<(long, object)>();
            Recover<RecoveryCompleted>(_ =>
            {
                replyTo.Tell(new Replayed(events));
                Self.Tell(Append.Instance);
            });
            Command<Append>(_ =>
            {
                if (append is null)
                {
                    Context.Stop(Self);
                }
                else
                {
                    Persist(append, _ => Context.Stop(Self));
                }
            });
            RecoverAny(e => events.Add((LastSequenceNr, e)));
        }

        public override string PersistenceId { get; }

        public override Recovery Recovery => new(SnapshotSelectionCriteria.None);

        /// <summary>A manifest or layout that no longer reads fails the test with its cause, not with a timeout.</summary>
        protected override void OnRecoveryFailure(Exception reason, object? message = null)
        {
            _replyTo.Tell(new RecoveryFailed(reason));
            base.OnRecoveryFailure(reason, message);
        }

        private sealed class Append
        {
            public static readonly Append Instance = new();
        }
    }
}
