using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Commands;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.Entities;

/// <summary>A shard hand-off (graceful leave, rebalance) stops a command entity with <see cref="CommandHandOff"/>: what
/// the journal already says goes out next is sent before the entity stops, and the incarnation that resumes does not
/// send it again. (With sharding's default PoisonPill the entity stopped between storing CallStartPrepared and sending
/// the INVITE, and the resumed command failed "the caller did not answer" in rolling restarts.)</summary>
public sealed class CommandEntityHandOffTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly CommandSettings Settings = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30));
    private static readonly Dictionary<string, string> CallStartParams = new() { ["caller"] = "sip:a@x", ["callee"] = "sip:b@x" };

    private readonly TestProbe _mi;
    private readonly TestProbe _dialogs;

    public CommandEntityHandOffTests() : base(EntityTestConfig.Config)
    {
        _mi = CreateTestProbe();
        _dialogs = CreateTestProbe();
    }

    [Fact]
    public void A_hand_off_right_behind_the_start_waits_for_the_write_and_sends_the_INVITE_before_stopping()
    {
        var client = CreateTestProbe();
        var entity = Sys.ActorOf(CommandEntity.Props("h-start-1", _mi.Ref, _dialogs.Ref, Settings));
        Watch(entity);

        // Back to back: the hand-off arrives while the start is being written, before the dialog answers the attach.
        entity.Tell(new StartCommand("h-start-1", CommandMethods.CallStart, CallStartParams, client.Ref));
        entity.Tell(CommandHandOff.Instance);

        client.ExpectMsg<CommandAccepted>();
        var attach = _dialogs.ExpectMsg<AttachCommand>();
        var invite = _mi.ExpectMsg<MiCall>();
        Assert.Equal("t_uac_dlg", invite.Method);
        Assert.Contains("Call-ID: " + attach.CallId + "\r\n", (string)invite.Params.Single(p => p.Key == "headers").Value);
        ExpectTerminated(entity);

        // The incarnation on the other node: it resumes from the journal, asks the proxy, and does not ring the caller again.
        var resumed = Sys.ActorOf(CommandEntity.Props("h-start-1", _mi.Ref, _dialogs.Ref, Settings));
        resumed.Tell(new GetCommand("h-start-1"));
        Assert.Equal("running", ExpectMsg<CommandSnapshot>().Status);
        Assert.Equal(attach.CallId, _dialogs.ExpectMsg<AttachCommand>().CallId);
        resumed.Tell(new DialogAttached("h-start-1", View(attach.CallId, state: 1)), _dialogs);
        var check = _mi.ExpectMsg<MiCall>();
        Assert.Equal("dlg_list", check.Method);
        Assert.Equal(attach.CallId, (string)check.Params.Single(p => p.Key == "callid").Value);
    }

    [Fact]
    public void A_resumed_CallStart_handed_off_while_attaching_stops_without_sending_the_INVITE_again()
    {
        var client = CreateTestProbe();
        var first = Sys.ActorOf(CommandEntity.Props("h-start-2", _mi.Ref, _dialogs.Ref, Settings));
        first.Tell(new StartCommand("h-start-2", CommandMethods.CallStart, CallStartParams, client.Ref));
        client.ExpectMsg<CommandAccepted>();
        var attach = _dialogs.ExpectMsg<AttachCommand>();
        first.Tell(new DialogAttached("h-start-2", View(attach.CallId, state: 0)), _dialogs);
        Assert.Equal("t_uac_dlg", _mi.ExpectMsg<MiCall>().Method);
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        // Resumed (the INVITE may be out), then handed off again before its dialog answers: nothing is sent.
        var resumed = Sys.ActorOf(CommandEntity.Props("h-start-2", _mi.Ref, _dialogs.Ref, Settings));
        Watch(resumed);
        resumed.Tell(new GetCommand("h-start-2"));
        Assert.Equal("running", ExpectMsg<CommandSnapshot>().Status);
        _dialogs.ExpectMsg<AttachCommand>();
        resumed.Tell(CommandHandOff.Instance);
        ExpectTerminated(resumed);
        _mi.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_CallEnd_handed_off_while_attaching_stops_and_leaves_its_request_to_the_next_incarnation()
    {
        var client = CreateTestProbe();
        var entity = Sys.ActorOf(CommandEntity.Props("h-end-1", _mi.Ref, _dialogs.Ref, Settings));
        Watch(entity);
        entity.Tell(new StartCommand("h-end-1", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "c-1" }, client.Ref));
        client.ExpectMsg<CommandAccepted>();
        _dialogs.ExpectMsg<AttachCommand>();
        entity.Tell(CommandHandOff.Instance);
        ExpectTerminated(entity);
        _mi.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // CallEnd stores no "dlg_end_dlg next": the resumed one sends it
    }

    /// <summary>The notifications are persisted with PersistAsync, which does not hold the hand-off back: the entity
    /// must not stop while one of them waits behind a write in flight, or it is never written. Here TRANSFER_ACCEPT's
    /// write is in flight when CALL_START is decided and the hand-off arrives, all three back to back.</summary>
    [Fact]
    public void A_hand_off_behind_notifications_still_being_written_stops_only_once_they_are_stored()
    {
        var client = CreateTestProbe();
        var entity = Sys.ActorOf(CommandEntity.Props("h-xfer-1", _mi.Ref, _dialogs.Ref, Settings));
        Watch(entity);
        entity.Tell(new StartCommand("h-xfer-1", CommandMethods.CallBlindTransfer,
            new Dictionary<string, string> { ["callid"] = "c-x", ["leg"] = "callee", ["destination"] = "sip:c@x" }, client.Ref));
        client.ExpectMsg<CommandAccepted>();
        _dialogs.ExpectMsg<AttachCommand>();
        entity.Tell(new DialogAttached("h-xfer-1", View("c-x", state: 4)), _dialogs);
        var transfer = _mi.ExpectMsg<MiCall>();
        Assert.Equal("call_transfer", transfer.Method);

        entity.Tell(new MiSuccess(transfer.Tag, "call_transfer", System.Text.Json.JsonDocument.Parse("\"Accepted\"").RootElement.Clone()), _mi);
        entity.Tell(new DialogEventNotice("h-xfer-1", new CallTransferEvent("c-x", "new-x", "new-x", "sip:c@x", "start", null)));
        entity.Tell(CommandHandOff.Instance);
        ExpectTerminated(entity);

        var resumed = Sys.ActorOf(CommandEntity.Props("h-xfer-1", _mi.Ref, _dialogs.Ref, Settings));
        resumed.Tell(new GetCommand("h-xfer-1"));
        var stored = ExpectMsg<CommandSnapshot>().Notifications.Select(n => n.Data).ToList();
        Assert.Equal([EventCodes.TransferAccept, EventCodes.CallStart], stored);
    }

    private static DialogView View(string callId, int state) => new(callId, "1.2", null, null, state, []);
}
