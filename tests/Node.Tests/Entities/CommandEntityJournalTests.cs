using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Node.Commands;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.Entities;

/// <summary>What the command entity writes (typed facts, never <see cref="CommandStepRecorded"/>) and how it resumes
/// from journals written before the typed facts existed (legacy steps).</summary>
public sealed class CommandEntityJournalTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly CommandSettings Settings = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30));

    private readonly TestProbe _mi;
    private readonly TestProbe _dialogs;

    public CommandEntityJournalTests() : base(EntityTestConfig.Config)
    {
        _mi = CreateTestProbe();
        _dialogs = CreateTestProbe();
    }

    [Fact]
    public void A_new_CallStart_stores_its_start_and_CallStartPrepared_and_the_INVITE_carries_that_placeholder()
    {
        var client = CreateTestProbe();
        var entity = Sys.ActorOf(CommandEntity.Props("j-start-1", _mi.Ref, _dialogs.Ref, Settings));
        entity.Tell(new StartCommand("j-start-1", CommandMethods.CallStart,
            new Dictionary<string, string> { ["caller"] = "sip:a@x", ["callee"] = "sip:b@x" }, client.Ref));
        client.ExpectMsg<CommandAccepted>();

        var events = ReadJournal("command-j-start-1", expected: 2);
        Assert.IsType<CommandStarted>(events[0]);
        var prepared = Assert.IsType<CallStartPrepared>(events[1]);
        var attach = _dialogs.ExpectMsg<AttachCommand>();
        Assert.Equal(prepared.PlaceholderCallId, attach.CallId);
        entity.Tell(new DialogAttached("j-start-1", View(prepared.PlaceholderCallId, 0)), _dialogs);
        var invite = _mi.ExpectMsg<MiCall>();
        Assert.Equal("t_uac_dlg", invite.Method);
        Assert.Contains("Call-ID: " + prepared.PlaceholderCallId + "\r\n", (string)invite.Params.Single(p => p.Key == "headers").Value);
    }

    [Fact]
    public void A_legacy_CallStart_with_only_its_placeholder_step_stores_CallStartPrepared_then_sends_the_INVITE()
    {
        WriteJournal("command-j-legacy-start",
            new CommandStarted("j-legacy-start", CommandMethods.CallStart,
                new Dictionary<string, string> { ["caller"] = "sip:a@x", ["callee"] = "sip:b@x" }, DateTimeOffset.UtcNow),
            new CommandStepRecorded("placeholder-callid", "cc-legacy"));

        var entity = Sys.ActorOf(CommandEntity.Props("j-legacy-start", _mi.Ref, _dialogs.Ref, Settings));
        entity.Tell(new GetCommand("j-legacy-start"));
        Assert.Equal("running", ExpectMsg<CommandSnapshot>().Status);
        Assert.Equal("cc-legacy", _dialogs.ExpectMsg<AttachCommand>().CallId);
        entity.Tell(new DialogAttached("j-legacy-start", View("cc-legacy", 0)), _dialogs);

        var invite = _mi.ExpectMsg<MiCall>();
        Assert.Equal("t_uac_dlg", invite.Method);
        Assert.Contains("Call-ID: cc-legacy\r\n", (string)invite.Params.Single(p => p.Key == "headers").Value);
        Assert.Equal(new CallStartPrepared("cc-legacy"), ReadJournal("command-j-legacy-start", expected: 3)[2]);
    }

    [Fact]
    public void A_legacy_CallHold_with_hold_sent_only_listens_and_ends_ok_on_the_legs_final_answers()
    {
        WriteJournal("command-j-legacy-hold",
            new CommandStarted("j-legacy-hold", CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = "call-h" }, DateTimeOffset.UtcNow),
            new CommandStepRecorded("hold-sent", null));

        var entity = Sys.ActorOf(CommandEntity.Props("j-legacy-hold", _mi.Ref, _dialogs.Ref, Settings));
        var subscriber = CreateTestProbe();
        entity.Tell(new SubscribeCommand("j-legacy-hold", 0, subscriber.Ref));
        subscriber.ExpectMsg<CommandSubscribed>();
        Assert.Equal("call-h", _dialogs.ExpectMsg<AttachCommand>().CallId);
        entity.Tell(new DialogAttached("j-legacy-hold", View("call-h", 4)), _dialogs);
        entity.Tell(new DialogEventNotice("j-legacy-hold", new CallHoldEvent("call-h", "caller", "hold", "ok")));
        entity.Tell(new DialogEventNotice("j-legacy-hold", new CallHoldEvent("call-h", "callee", "hold", "ok")));

        Assert.Equal(["caller", "callee"], new[] { subscriber.ExpectMsg<CommandNotification>(), subscriber.ExpectMsg<CommandNotification>() }
            .Select(n => n.Leg));
        Assert.Equal("ok", subscriber.ExpectMsg<CommandNotification>().Status);
        _mi.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // the re-INVITEs are not requested again
    }

    [Fact]
    public void A_legacy_blind_transfer_with_transfer_sent_only_listens_and_ends_the_transferred_call_on_ok()
    {
        WriteJournal("command-j-legacy-xfer",
            new CommandStarted("j-legacy-xfer", CommandMethods.CallBlindTransfer,
                new Dictionary<string, string> { ["callid"] = "call-t", ["leg"] = "caller", ["destination"] = "sip:c@x" }, DateTimeOffset.UtcNow),
            new CommandStepRecorded("transfer-sent", "call-t"));

        var entity = Sys.ActorOf(CommandEntity.Props("j-legacy-xfer", _mi.Ref, _dialogs.Ref, Settings));
        var subscriber = CreateTestProbe();
        entity.Tell(new SubscribeCommand("j-legacy-xfer", 0, subscriber.Ref));
        subscriber.ExpectMsg<CommandSubscribed>();
        Assert.Equal("call-t", _dialogs.ExpectMsg<AttachCommand>().CallId);
        entity.Tell(new DialogAttached("j-legacy-xfer", View("call-t", 4)), _dialogs);
        entity.Tell(new DialogEventNotice("j-legacy-xfer", new CallTransferEvent("call-t", "new-1", "new-1", "sip:c@x", "start", null)));
        entity.Tell(new DialogEventNotice("j-legacy-xfer", new CallTransferEvent("call-t", "caller", "new-1", "sip:c@x", "ok", "200 OK")));

        Assert.Equal([EventCodes.TransferAccept, EventCodes.CallStart],
            new[] { subscriber.ExpectMsg<CommandNotification>(), subscriber.ExpectMsg<CommandNotification>() }.Select(n => n.Data));
        Assert.Equal("ok", subscriber.ExpectMsg<CommandNotification>().Status);
        Assert.Equal("dlg_end_dlg", _mi.ExpectMsg<MiCall>().Method); // the transferred call; call_transfer is not sent again
    }

    private static DialogView View(string callId, int state) => new(callId, "1.2", null, null, state, []);

    private void WriteJournal(string persistenceId, params ICommandJournalEvent[] events)
    {
        var writer = Sys.ActorOf(Props.Create(() => new JournalAccess(persistenceId, events, TestActor)));
        ExpectMsg<IReadOnlyList<object>>();
        Watch(writer);
        Sys.Stop(writer);
        ExpectTerminated(writer);
    }

    private IReadOnlyList<object> ReadJournal(string persistenceId, int expected)
    {
        IReadOnlyList<object> events = [];
        AwaitAssert(() =>
        {
            var reader = Sys.ActorOf(Props.Create(() => new JournalAccess(persistenceId, Array.Empty<ICommandJournalEvent>(), TestActor)));
            events = ExpectMsg<IReadOnlyList<object>>();
            Sys.Stop(reader);
            Assert.Equal(expected, events.Count);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(100));
        return events;
    }

    /// <summary>Replays a persistence id, appends <c>append</c>, and reports every event.</summary>
    private sealed class JournalAccess : ReceivePersistentActor
    {
        private readonly List<object> _events = [];

        public JournalAccess(string persistenceId, IReadOnlyList<ICommandJournalEvent> append, IActorRef report)
        {
            PersistenceId = persistenceId;
            Recover<ICommandJournalEvent>(e => _events.Add(e));
            Recover<RecoveryCompleted>(_ =>
            {
                if (append.Count == 0)
                {
                    report.Tell((IReadOnlyList<object>)_events.ToList());
                    return;
                }

                PersistAll(append, e =>
                {
                    _events.Add(e);
                    if (ReferenceEquals(e, append[^1]))
                    {
                        report.Tell((IReadOnlyList<object>)_events.ToList());
                    }
                });
            });
        }

        public override string PersistenceId { get; }
    }
}
