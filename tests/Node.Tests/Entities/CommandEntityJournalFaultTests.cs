using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.TestKit;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Commands;
using CallCluster.Node.Persistence;

namespace CallCluster.Node.Tests.Entities;

/// <summary>Journal failures at the command entity (Akka.Persistence.TestKit's TestJournal failing reads and writes):
/// no command is acknowledged that was not stored, the client gets -32003 at once instead of silence, and what was
/// stored survives; the probe and the gate refuse new commands while the journal is down.</summary>
public sealed class CommandEntityJournalFaultTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.actor.provider = local
        akka.loglevel = INFO
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test {
          class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    private static readonly CommandSettings Settings = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30));
    private static readonly Dictionary<string, string> EndParams = new() { ["callid"] = "call-1" };

    private readonly TestProbe _mi;
    private readonly TestProbe _dialogs;
    private readonly ITestJournal _journal;

    public CommandEntityJournalFaultTests() : base(Config)
    {
        _mi = CreateTestProbe();
        _dialogs = CreateTestProbe();
        _journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));
    }

    private IActorRef Entity(string cmdId) => Sys.ActorOf(CommandEntity.Props(cmdId, _mi.Ref, _dialogs.Ref, Settings));

    [Fact]
    public async Task A_journal_that_cannot_be_read_answers_every_waiting_request_32003_at_once()
    {
        // A stored command (TestJournal fails a recovery only when there is something to replay).
        var client = CreateTestProbe();
        var first = Entity("jf-read");
        first.Tell(new StartCommand("jf-read", CommandMethods.CallEnd, EndParams, client.Ref));
        client.ExpectMsg<CommandAccepted>(TimeSpan.FromSeconds(3));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        await _journal.OnRecovery.Fail();
        var entity = Entity("jf-read");
        // The requests first: Watch waits for an acknowledgement, time enough for the failed recovery to stop the
        // entity before they arrive (watching a stopped actor still delivers Terminated).
        entity.Tell(new StartCommand("jf-read", CommandMethods.CallEnd, EndParams, client.Ref)); // a client's retry
        entity.Tell(new GetCommand("jf-read"));
        Watch(entity);
        var rejected = client.ExpectMsg<CommandRejected>(TimeSpan.FromSeconds(3));
        Assert.Equal((ErrorCodes.ProxyUnavailable, "Service unavailable"), (rejected.Code, rejected.Message));
        Assert.Contains("journal", rejected.Data);
        Assert.Equal(ErrorCodes.ProxyUnavailable, ExpectMsg<CommandRejected>(TimeSpan.FromSeconds(1)).Code);
        ExpectTerminated(entity);
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.True(JournalHealth.Get(Sys).IsDown);

        // Back: nothing stored was lost, the repeated start is recognised.
        await _journal.OnRecovery.Pass();
        var again = Entity("jf-read");
        again.Tell(new StartCommand("jf-read", CommandMethods.CallEnd, EndParams, client.Ref));
        Assert.True(client.ExpectMsg<CommandAccepted>(TimeSpan.FromSeconds(3)).Existing);
    }

    [Fact]
    public async Task A_start_that_cannot_be_stored_is_refused_32003_and_never_acknowledged()
    {
        await _journal.OnWrite.Fail();
        var client = CreateTestProbe();
        var entity = Entity("jf-write");
        Watch(entity);
        entity.Tell(new StartCommand("jf-write", CommandMethods.CallEnd, EndParams, client.Ref));

        var rejected = client.ExpectMsg<CommandRejected>(TimeSpan.FromSeconds(3));
        Assert.Equal(ErrorCodes.ProxyUnavailable, rejected.Code);
        ExpectTerminated(entity);
        _dialogs.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // the flow never ran: no attach, no MI request
        _mi.ExpectNoMsg(TimeSpan.FromMilliseconds(10));

        // Nothing was stored: once the journal is back, the cmd_id is unknown.
        await _journal.OnWrite.Pass();
        var probe = Entity("jf-write");
        probe.Tell(new GetCommand("jf-write"));
        Assert.Equal(ErrorCodes.InvalidParams, ExpectMsg<CommandRejected>(TimeSpan.FromSeconds(3)).Code);
    }

    [Fact]
    public async Task A_later_write_failing_stops_the_command_and_what_was_stored_survives()
    {
        var client = CreateTestProbe();
        var entity = Entity("jf-later");
        Watch(entity);
        entity.Tell(new StartCommand("jf-later", CommandMethods.CallEnd, EndParams, client.Ref));
        client.ExpectMsg<CommandAccepted>(TimeSpan.FromSeconds(3));
        Assert.Equal("call-1", _dialogs.ExpectMsg<AttachCommand>().CallId);

        await _journal.OnWrite.Fail();
        entity.Tell(new DialogAttached("jf-later", new DialogView("call-1", "1.2", null, null, 4, [])), _dialogs);
        _mi.ExpectMsg<Node.OpenSips.MiCall>();
        entity.Tell(new Node.OpenSips.MiFailure(null, "dlg_end_dlg", 500, "Internal error", null), _mi);
        ExpectTerminated(entity, TimeSpan.FromSeconds(3)); // the failed notification's write stops it
        Assert.True(JournalHealth.Get(Sys).IsDown);

        await _journal.OnWrite.Pass();
        var resumed = Entity("jf-later");
        resumed.Tell(new GetCommand("jf-later"));
        var snapshot = ExpectMsg<CommandSnapshot>(TimeSpan.FromSeconds(3));
        Assert.Equal(CommandMethods.CallEnd, snapshot.Method); // the acknowledged start is there
        Assert.Empty(snapshot.Notifications); // the notification that failed to store was never sent to anyone
    }

    [Fact]
    public async Task The_probe_marks_the_journal_down_and_up_and_the_gate_refuses_new_commands_meanwhile()
    {
        var health = JournalHealth.Get(Sys);
        var writer = Sys.ActorOf(Props.Create(() => new ProbeIdWriter()));
        writer.Tell("write", TestActor);
        ExpectMsg("written", TimeSpan.FromSeconds(3));
        var region = CreateTestProbe();
        var gate = Sys.ActorOf(JournalGate.Props(region.Ref));
        Sys.ActorOf(JournalProbe.Props(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null),
            TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)));
        await AwaitConditionAsync(() => Task.FromResult(!health.IsDown), TimeSpan.FromSeconds(3));

        var client = CreateTestProbe();
        gate.Tell(new StartCommand("g1", CommandMethods.CallEnd, EndParams, client.Ref));
        region.ExpectMsg<StartCommand>(); // journal up: forwarded

        await _journal.OnRecovery.Fail();
        await AwaitConditionAsync(() => Task.FromResult(health.IsDown), TimeSpan.FromSeconds(3));
        gate.Tell(new StartCommand("g2", CommandMethods.CallEnd, EndParams, client.Ref));
        var refused = client.ExpectMsg<CommandRejected>(TimeSpan.FromSeconds(1));
        Assert.Equal(("g2", ErrorCodes.ProxyUnavailable), (refused.CmdId, refused.Code));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        gate.Tell(new GetCommand("g1"));
        region.ExpectMsg<GetCommand>(); // queries still go through (the entity answers them itself)

        await _journal.OnRecovery.Pass();
        await AwaitConditionAsync(() => Task.FromResult(!health.IsDown), TimeSpan.FromSeconds(3));
        gate.Tell(new StartCommand("g3", CommandMethods.CallEnd, EndParams, client.Ref));
        region.ExpectMsg<StartCommand>();
    }

    /// <summary>Gives the probe's read one event to replay, so that TestJournal's recovery failures reach it.</summary>
    private sealed class ProbeIdWriter : Akka.Persistence.ReceivePersistentActor
    {
        public ProbeIdWriter()
        {
            Command<string>(_ => Persist("probe", _ => Sender.Tell("written")));
            Recover<string>(_ => { });
        }

        public override string PersistenceId => JournalProbe.ProbeId;
    }
}
