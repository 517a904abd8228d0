using System.Text.Json;
using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Commands;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Tests.Serialization;

/// <summary>Writes tests/Node.Tests/Fixtures/journal-v1.db (see the README there): real command and dialog entities
/// persisting into an SQLite journal configured as the node configures it. Does nothing unless
/// CALLCLUSTER_WRITE_JOURNAL_FIXTURE names the file to write. The checked-in fixture must stay as the commit named in
/// the README wrote it: rerunning this with a newer serializer writes a different fixture.</summary>
public sealed class JournalFixtureWriter
{
    public const string EnvironmentVariable = "CALLCLUSTER_WRITE_JOURNAL_FIXTURE";

    [Fact]
    public void Writes_the_journal_fixture_when_asked()
    {
        var target = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(target))
        {
            return;
        }

        target = Path.GetFullPath(target);
        foreach (var file in new[] { target, target + "-wal", target + "-shm" })
        {
            File.Delete(file);
        }

        using (var writer = new Writer(target))
        {
            writer.Run();
        }

        SqliteConnection.ClearAllPools();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;";
        command.ExecuteNonQuery();
    }

    private sealed class Writer(string file) : Akka.TestKit.Xunit2.TestKit(SqliteJournalConfig.Create(file))
    {
        private static readonly CommandSettings Commands = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        private static readonly DialogSettings Dialogs = new(TimeSpan.FromSeconds(30));

        public void Run()
        {
            var mi = CreateTestProbe();
            var dialogRegion = CreateTestProbe();
            var commandRegion = CreateTestProbe();
            var client = CreateTestProbe();

            // 1. A CallEnd that ended ok: CommandStarted, NotificationRecorded CALL_END (seq 1), Ended ok (seq 2).
            var end = Sys.ActorOf(CommandEntity.Props("fx-end-1", mi.Ref, dialogRegion.Ref, Commands));
            end.Tell(new StartCommand("fx-end-1", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "fx-call-1" }, client.Ref));
            client.ExpectMsg<CommandAccepted>(TimeSpan.FromSeconds(30)); // the first write creates the journal tables
            dialogRegion.ExpectMsg<AttachCommand>();
            end.Tell(new DialogAttached("fx-end-1", new DialogView("fx-call-1", "1f5.85c96ae2", "ft-1", "tt-1", 4, [])), dialogRegion.Ref);
            Assert.Equal("dlg_end_dlg", mi.ExpectMsg<MiCall>().Method);
            end.Tell(new MiSuccess(null, "dlg_end_dlg", JsonDocument.Parse("\"OK\"").RootElement.Clone()), mi.Ref);
            end.Tell(new DialogEventNotice("fx-end-1", new DialogStateChanged("fx-call-1", "1f5.85c96ae2", "1337", "ft-1", "tt-1", 4, 5)));
            Assert.Equal(EventCodes.CallEnd, client.ExpectMsg<CommandNotification>().Data);
            Assert.Equal(CommandNotification.StatusOk, client.ExpectMsg<CommandNotification>().Status);
            dialogRegion.ExpectMsg<DetachCommand>();
            StopAndWait(end);

            dialogRegion = CreateTestProbe(); // each command's own: a hold also tells the dialog region RecordHoldState
            // 2. A CallHold of both legs: CommandStarted, CommandStepRecorded hold-sent, CALL_HOLD caller (1), callee (2), Ended ok (3).
            var hold = Sys.ActorOf(CommandEntity.Props("fx-hold-1", mi.Ref, dialogRegion.Ref, Commands));
            hold.Tell(new StartCommand("fx-hold-1", CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = "fx-call-2" }, client.Ref));
            client.ExpectMsg<CommandAccepted>();
            dialogRegion.ExpectMsg<AttachCommand>();
            hold.Tell(new DialogAttached("fx-hold-1", new DialogView("fx-call-2", "2a.77", null, null, 4, [])), dialogRegion.Ref);
            Assert.Equal("call_hold", mi.ExpectMsg<MiCall>().Method);
            hold.Tell(new MiSuccess("hold", "call_hold", JsonDocument.Parse("\"OK\"").RootElement.Clone()), mi.Ref);
            hold.Tell(new DialogEventNotice("fx-hold-1", new CallHoldEvent("fx-call-2", "caller", "hold", "ok")));
            Assert.Equal("caller", client.ExpectMsg<CommandNotification>().Leg);
            hold.Tell(new DialogEventNotice("fx-hold-1", new CallHoldEvent("fx-call-2", "callee", "hold", "ok")));
            Assert.Equal("callee", client.ExpectMsg<CommandNotification>().Leg);
            Assert.Equal(CommandNotification.StatusOk, client.ExpectMsg<CommandNotification>().Status);
            StopAndWait(hold);

            dialogRegion = CreateTestProbe();
            // 3. A CallStart stopped while attaching: CommandStarted, CommandStepRecorded placeholder-callid with a value.
            var start = Sys.ActorOf(CommandEntity.Props("fx-start-1", mi.Ref, dialogRegion.Ref, Commands));
            start.Tell(new StartCommand("fx-start-1", CommandMethods.CallStart,
                new Dictionary<string, string> { ["caller"] = "sip:alice@example.com", ["callee"] = "sip:bob@example.com" }, client.Ref));
            client.ExpectMsg<CommandAccepted>();
            dialogRegion.ExpectMsg<AttachCommand>();
            StopAndWait(start);

            // 4. A dialog: states 1->2 and 3->4, an End command attached, caller held, detached, then deleted 4->5.
            var dialog = Sys.ActorOf(DialogEntity.Props("fx-call-1", commandRegion.Ref, Dialogs));
            var asker = CreateTestProbe();
            dialog.Tell(new DialogStateChanged("fx-call-1", "1f5.85c96ae2", "1337", "ft-1", null, 1, 2));
            dialog.Tell(new DialogStateChanged("fx-call-1", "1f5.85c96ae2", "1337", "ft-1", "tt-1", 3, 4));
            dialog.Tell(new AttachCommand("fx-call-1", "fx-end-1", DialogOperation.End), asker.Ref);
            asker.ExpectMsg<DialogAttached>();
            dialog.Tell(new RecordHoldState("fx-call-1", "caller", true));
            dialog.Tell(new DetachCommand("fx-call-1", "fx-end-1"));
            dialog.Tell(new DialogStateChanged("fx-call-1", "1f5.85c96ae2", "1337", "ft-1", "tt-1", 4, 5));
            dialog.Tell(new GetDialog("fx-call-1"), asker.Ref);
            var view = asker.ExpectMsg<DialogView>();
            Assert.Equal((5, true), (view.State, view.CallerHeld));
            StopAndWait(dialog);
        }

        private void StopAndWait(IActorRef actor)
        {
            Watch(actor);
            Sys.Stop(actor);
            ExpectTerminated(actor);
        }
    }
}
