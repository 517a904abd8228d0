using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Node.Commands;
using CallCluster.Node.Persistence;
using CallCluster.Node.Tests.Serialization;
using Microsoft.Data.Sqlite;

namespace CallCluster.Node.Tests.Persistence;

/// <summary>A command whose cmd_id is known to be new (<see cref="KnownNewRecovery"/>) on the product's journal, a real
/// SQLite file: it starts without the journal's recovery read and stores its start where a later incarnation finds it;
/// and a wrong "known new" cannot overwrite a stored command, because the journal's unique key refuses the write.</summary>
public sealed class KnownNewRecoveryTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly CommandSettings Settings = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30));

    private readonly string _directory;
    private readonly TestProbe _mi;
    private readonly TestProbe _dialogs;
    private readonly TestProbe _recoveryReads;

    public KnownNewRecoveryTests() : this(Path.Combine(Path.GetTempPath(), "callcluster-known-new-" + Guid.NewGuid().ToString("N")))
    {
    }

    private KnownNewRecoveryTests(string directory) : base(SqliteJournalConfig.Create(Path.Combine(directory, "journal.db")))
    {
        _directory = directory;
        _mi = CreateTestProbe();
        _dialogs = CreateTestProbe();
        _recoveryReads = CreateTestProbe();
        Sys.EventStream.Subscribe(_recoveryReads.Ref, typeof(RecoveryReadBatch));
    }

    [Fact]
    public void A_known_new_command_is_accepted_without_a_recovery_read_and_its_next_incarnation_recovers_it()
    {
        var client = CreateTestProbe();
        var command = Start("kn-1", knownNew: true);
        command.Tell(CallEnd("kn-1", "call-a", client.Ref, fresh: true));
        client.ExpectMsg<CommandAccepted>(Wait);
        _recoveryReads.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Stop(command);

        // An ordinary incarnation reads the journal, finds the start at sequence number 1, and knows the command.
        var again = Start("kn-1", knownNew: false);
        again.Tell(new GetCommand("kn-1"));
        var snapshot = ExpectMsg<CommandSnapshot>(Wait);
        Assert.Equal((CommandMethods.CallEnd, "call-a"), (snapshot.Method, snapshot.Params["callid"]));
        Assert.Equal(1, _recoveryReads.ExpectMsg<RecoveryReadBatch>(Wait).WithEvents);
    }

    [Fact]
    public void A_wrong_known_new_is_refused_by_the_journal_and_the_stored_command_stays_as_it_was()
    {
        var client = CreateTestProbe();
        var first = Start("kn-2", knownNew: false);
        first.Tell(CallEnd("kn-2", "call-a", client.Ref, fresh: false));
        client.ExpectMsg<CommandAccepted>(Wait);
        Stop(first);

        // Told, wrongly, that kn-2 is new, another incarnation tries to store another start at sequence number 1.
        var wrong = Start("kn-2", knownNew: true);
        wrong.Tell(CallEnd("kn-2", "call-b", client.Ref, fresh: true));
        var refused = client.ExpectMsg<CommandRejected>(Wait);
        Assert.Equal(ErrorCodes.ProxyUnavailable, refused.Code);

        var again = Start("kn-2", knownNew: false);
        again.Tell(new GetCommand("kn-2"));
        Assert.Equal("call-a", ExpectMsg<CommandSnapshot>(Wait).Params["callid"]);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A connection still closing: the temp directory is left behind, harmlessly.
        }
    }

    private IActorRef Start(string cmdId, bool knownNew) =>
        Sys.ActorOf(CommandEntity.Props(cmdId, _mi.Ref, _dialogs.Ref, Settings, knownNew: knownNew));

    private static StartCommand CallEnd(string cmdId, string callId, IActorRef client, bool fresh) =>
        new(cmdId, CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = callId }, client) { FreshCmdId = fresh };

    private void Stop(IActorRef command)
    {
        Watch(command);
        command.Tell(PoisonPill.Instance);
        ExpectTerminated(command, Wait);
        Unwatch(command);
    }
}
