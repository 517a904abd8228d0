using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;
using System.Text.Json;

namespace CallCluster.Node.Tests.Entities;

/// <summary>The dialog entity (in memory): records states, ignores duplicates, never regresses on reordering,
/// forwards events to attached commands.</summary>
public sealed class DialogEntityTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DialogSettings Settings = new(TimeSpan.FromSeconds(30));
    private readonly TestProbe _commands;

    public DialogEntityTests() : base(EntityTestConfig.Config)
    {
        _commands = CreateTestProbe();
    }

    [Fact]
    public void Records_states_in_any_order_without_regressing()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-a");
        dialog.Tell(State("call-a", 1, 2));
        dialog.Tell(State("call-a", 3, 4));
        dialog.Tell(State("call-a", 2, 3)); // late: must not take the dialog back to 3

        dialog.Tell(new GetDialog("call-a"));
        var view = ExpectMsg<DialogView>();
        Assert.Equal((4, "d.1", "ft", "tt"), (view.State, view.DialogId, view.FromTag, view.ToTag));
    }

    /// <summary>Every dialog of a region shares one Props and takes its Call-ID from its name, which sharding escapes:
    /// a Call-ID with characters a name cannot hold is answered as the proxy wrote it.</summary>
    [Theory]
    [InlineData("1c45e44d9f905b32")]
    [InlineData("a84b4c76e66710@pc33.atlanta.example.com")]
    [InlineData("c2d 9b/95%d4")]
    public void A_dialog_takes_its_Call_ID_from_the_name_sharding_gives_it(string callId)
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), Uri.EscapeDataString(callId));
        dialog.Tell(State(callId, 3, 4));

        dialog.Tell(new GetDialog(callId));
        var view = ExpectMsg<DialogView>();
        Assert.Equal((callId, 4), (view.CallId, view.State));
    }

    /// <summary>Dialogs are kept in memory only: one that starts again (after a node restart) has heard nothing, so a
    /// query asks the proxy (dlg_list) and answers with what the proxy reports.</summary>
    [Fact]
    public void A_restarted_dialog_asks_the_proxy_before_answering_a_query()
    {
        var mi = CreateTestProbe();
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings, mi.Ref), "call-r");

        dialog.Tell(new GetDialog("call-r"));
        dialog.Tell(new GetDialog("call-r")); // a second query while the first waits: one dlg_list for both
        var call = mi.ExpectMsg<MiCall>();
        Assert.Equal(("dlg_list", "call-r"), (call.Method, (string)call.Params.Single(p => p.Key == "callid").Value));
        mi.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // nothing answered before the proxy did
        using var reply = JsonDocument.Parse(
            """{"Dialog":{"ID":"47.f18e9f95","db_id":"499","state":4,"callid":"call-r","caller_tag":"ct","callee_tag":"et"}}""");
        dialog.Tell(new MiSuccess(call.Tag, "dlg_list", reply.RootElement.Clone()));

        var first = ExpectMsg<DialogView>();
        Assert.Equal((4, "47.f18e9f95", "ct", "et"), (first.State, first.DialogId, first.FromTag, first.ToTag));
        Assert.Equal(4, ExpectMsg<DialogView>().State);
        dialog.Tell(new GetDialog("call-r")); // known now: answered from memory
        Assert.Equal(4, ExpectMsg<DialogView>().State);
        mi.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    /// <summary>A CallEnd or CallGet of a made-up Call-ID must not leave an entity behind (any client could fill a
    /// node's memory): unknown to the proxy and watched by no command, the dialog asks to be passivated.</summary>
    [Fact]
    public void A_call_id_the_proxy_does_not_know_passivates_once_no_command_watches_it()
    {
        var mi = CreateTestProbe();
        var shard = CreateTestProbe();
        var dialog = shard.ChildActorOf(DialogEntity.Props(_commands.Ref, Settings, mi.Ref), "made-up");

        dialog.Tell(new AttachCommand("made-up", "end-1", DialogOperation.End));
        Assert.Equal(0, ExpectMsg<DialogAttached>().Dialog.State);
        shard.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // a command still watches it
        dialog.Tell(new DetachCommand("made-up", "end-1"));
        Assert.IsType<PoisonPill>(shard.ExpectMsg<Akka.Cluster.Sharding.Passivate>().StopMessage);

        var queried = shard.ChildActorOf(DialogEntity.Props(_commands.Ref, Settings, mi.Ref), "made-up-2");
        queried.Tell(new GetDialog("made-up-2"));
        var call = mi.ExpectMsg<MiCall>();
        mi.Reply(new MiFailure(call.Tag, "dlg_list", 404, "Dialog not found", null));
        Assert.Equal(0, ExpectMsg<DialogView>().State);
        shard.ExpectMsg<Akka.Cluster.Sharding.Passivate>();
    }

    [Fact]
    public void Forwards_events_to_attached_commands_once_and_stops_after_detach()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-b");
        dialog.Tell(new AttachCommand("call-b", "cmd-1"));
        Assert.Equal("cmd-1", ExpectMsg<DialogAttached>().CmdId);

        dialog.Tell(State("call-b", 4, 5));
        dialog.Tell(State("call-b", 4, 5)); // duplicate datagram
        var hold = new CallHoldEvent("call-b", "caller", "hold", "start");
        dialog.Tell(hold);

        var first = _commands.ExpectMsg<DialogEventNotice>();
        Assert.Equal(("cmd-1", 5), (first.CmdId, ((DialogStateChanged)first.Event).NewState));
        Assert.Equal(hold, _commands.ExpectMsg<DialogEventNotice>().Event);
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        dialog.Tell(new DetachCommand("call-b", "cmd-1"));
        dialog.Tell(hold);
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        dialog.Tell(new GetDialog("call-b"));
        var view = ExpectMsg<DialogView>();
        Assert.Equal(5, view.State);
        Assert.Equal(["cmd-1"], view.CmdIds);
    }

    /// <summary>A command resuming on another node re-attaches only then; a transfer event raised meanwhile (perhaps at
    /// a fresh incarnation of the dialog that forgot its watchers) must still reach it.</summary>
    [Fact]
    public void Transfer_and_hold_events_nobody_watched_go_to_the_next_command_that_attaches()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-u");
        var start = new CallTransferEvent("call-u", "callee", "new-call", "sip:bob@x", "start", null);
        var hold = new CallHoldEvent("call-u", "caller", "hold", "start");
        dialog.Tell(start);
        dialog.Tell(hold);
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        dialog.Tell(new AttachCommand("call-u", "resumed-1", DialogOperation.Transfer));
        Assert.Equal("resumed-1", ExpectMsg<DialogAttached>().CmdId);
        var first = _commands.ExpectMsg<DialogEventNotice>();
        var second = _commands.ExpectMsg<DialogEventNotice>();
        Assert.Equal(("resumed-1", start), (first.CmdId, first.Event));
        Assert.Equal(("resumed-1", hold), (second.CmdId, second.Event));

        var ok = new CallTransferEvent("call-u", "callee", "new-call", "sip:bob@x", "ok", "200 OK");
        dialog.Tell(ok); // watched now: forwarded at once
        Assert.Equal(ok, _commands.ExpectMsg<DialogEventNotice>().Event);
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
    }

    /// <summary>A command handed off while an event forwarded to it was on its way loses it with the stopping
    /// incarnation; the one that resumes attaches again and must get it again (rolling restarts lost E_CALL_TRANSFER
    /// start this way). Another command never gets what was forwarded to the first one, and progress notifies are not
    /// repeated.</summary>
    [Fact]
    public void A_command_attaching_again_gets_the_transfer_events_already_forwarded_to_it_and_no_one_else_does()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-r");
        dialog.Tell(new AttachCommand("call-r", "xfer-1", DialogOperation.Transfer));
        ExpectMsg<DialogAttached>();
        var start = new CallTransferEvent("call-r", "callee", "new-call", "sip:bob@x", "start", null);
        var progress = new CallTransferEvent("call-r", "callee", "new-call", "sip:bob@x", "notify", "180 Ringing");
        dialog.Tell(start);
        dialog.Tell(progress);
        Assert.Equal(start, _commands.ExpectMsg<DialogEventNotice>().Event);
        Assert.Equal(progress, _commands.ExpectMsg<DialogEventNotice>().Event);

        dialog.Tell(new AttachCommand("call-r", "xfer-1", DialogOperation.Transfer)); // the resumed incarnation
        Assert.Equal("xfer-1", ExpectMsg<DialogAttached>().CmdId);
        var again = _commands.ExpectMsg<DialogEventNotice>();
        Assert.Equal(("xfer-1", start), (again.CmdId, again.Event));
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        dialog.Tell(new DetachCommand("call-r", "xfer-1"));
        dialog.Tell(new AttachCommand("call-r", "other-1", DialogOperation.Observe));
        Assert.Equal("other-1", ExpectMsg<DialogAttached>().CmdId);
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
    }

    /// <summary>A dialog and the command watching it handed off at the same moment (their node leaves): the event
    /// forwarded to the stopping command is lost with it, so the dialog gives its recent events to its own next
    /// incarnation through the region, which gives them to the resumed command when it attaches again.</summary>
    [Fact]
    public void A_handed_off_dialog_passes_its_recent_events_to_its_next_incarnation_for_the_resumed_command()
    {
        var region = CreateTestProbe();
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings, dialogRegion: region.Ref), "call-h");
        dialog.Tell(new AttachCommand("call-h", "xfer-h", DialogOperation.Transfer));
        ExpectMsg<DialogAttached>();
        var start = new CallTransferEvent("call-h", "callee", "new-call", "sip:bob@x", "start", null);
        dialog.Tell(start);
        Assert.Equal(start, _commands.ExpectMsg<DialogEventNotice>().Event); // lost with the stopping command
        Watch(dialog);

        dialog.Tell(DialogHandOff.Instance);
        Assert.Equal(["xfer-h"], region.ExpectMsg<DialogWatchersHandedOver>().Watchers.Keys); // not given here: see the next test
        var handedOver = region.ExpectMsg<DialogEventHandedOver>();
        ExpectTerminated(dialog);
        Assert.Equal(("call-h", start), (handedOver.CallId, handedOver.Event));
        Assert.Equal(["xfer-h"], handedOver.ForwardedTo);

        // The next incarnation under another parent: the name (the Call-ID) may still be taken under the first one's.
        var next = CreateTestProbe().ChildActorOf(DialogEntity.Props(_commands.Ref, Settings, dialogRegion: region.Ref), "call-h");
        next.Tell(handedOver);
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // nobody watches the new incarnation yet
        next.Tell(new AttachCommand("call-h", "xfer-h", DialogOperation.Transfer)); // the resumed command
        ExpectMsg<DialogAttached>();
        var replayed = _commands.ExpectMsg<DialogEventNotice>();
        Assert.Equal(("xfer-h", start), (replayed.CmdId, replayed.Event));
        next.Tell(new AttachCommand("call-h", "someone-else", DialogOperation.Observe));
        ExpectMsg<DialogAttached>();
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // forwarded to xfer-h only: not for another command
    }

    /// <summary>The dialog's shard moves but the command watching it stays where it is (only the dialog's node leaves):
    /// the command never attaches again, so the dialog hands its watchers to its next incarnation. An event that reaches
    /// the next incarnation first waits there and goes to the watcher once the watchers arrive; later ones go at once.</summary>
    [Fact]
    public void A_handed_off_dialog_passes_its_watchers_to_its_next_incarnation_for_a_command_that_stays()
    {
        var region = CreateTestProbe();
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings, dialogRegion: region.Ref), "call-w");
        dialog.Tell(new AttachCommand("call-w", "start-w", DialogOperation.Observe));
        ExpectMsg<DialogAttached>();
        dialog.Tell(new AttachCommand("call-w", "xfer-w", DialogOperation.Transfer));
        ExpectMsg<DialogAttached>();
        Watch(dialog);

        dialog.Tell(DialogHandOff.Instance);
        var watchers = region.ExpectMsg<DialogWatchersHandedOver>();
        ExpectTerminated(dialog);
        Assert.Equal("call-w", watchers.CallId);
        Assert.Equal(
            [("start-w", DialogOperation.Observe), ("xfer-w", DialogOperation.Transfer)],
            watchers.Watchers.OrderBy(w => w.Key).Select(w => (w.Key, w.Value)));

        // The next incarnation under another parent: the name (the Call-ID) may still be taken under the first one's.
        var next = CreateTestProbe().ChildActorOf(DialogEntity.Props(_commands.Ref, Settings, dialogRegion: region.Ref), "call-w");
        var start = new CallTransferEvent("call-w", "callee", "new-call", "sip:bob@x", "start", null);
        next.Tell(start); // overtakes the watchers: nobody to give it to yet
        _commands.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        next.Tell(watchers);
        var replayed = new[] { _commands.ExpectMsg<DialogEventNotice>(), _commands.ExpectMsg<DialogEventNotice>() };
        Assert.Equal(["start-w", "xfer-w"], replayed.Select(n => n.CmdId).Order());
        Assert.All(replayed, n => Assert.Equal(start, n.Event));

        var ok = new CallTransferEvent("call-w", "callee", "new-call", "sip:bob@x", "ok", "200 OK");
        next.Tell(ok);
        var forwarded = new[] { _commands.ExpectMsg<DialogEventNotice>(), _commands.ExpectMsg<DialogEventNotice>() };
        Assert.Equal(["start-w", "xfer-w"], forwarded.Select(n => n.CmdId).Order());
        Assert.All(forwarded, n => Assert.Equal(ok, n.Event));
        next.Tell(new AttachCommand("call-w", "hold-w", DialogOperation.Hold));
        // The handed-over transfer is in the way of a hold: the dialog asks whether it still runs.
        Assert.Equal("xfer-w", _commands.ExpectMsg<GetCommand>().CmdId);
    }

    [Fact]
    public void Attach_reports_what_is_known_so_far()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-c");
        dialog.Tell(State("call-c", 3, 4));

        dialog.Tell(new AttachCommand("call-c", "cmd-2"));

        var attached = ExpectMsg<DialogAttached>();
        Assert.Equal((4, "d.1"), (attached.Dialog.State, attached.Dialog.DialogId));
    }

    [Fact]
    public void A_late_2xx_revives_a_deleted_dialog()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-d");
        dialog.Tell(State("call-d", 1, 5));
        dialog.Tell(State("call-d", 5, 3));

        dialog.Tell(new GetDialog("call-d"));
        Assert.Equal(3, ExpectMsg<DialogView>().State);
    }

    [Fact]
    public void Hold_and_transfer_exclude_each_other_and_a_second_transfer_is_refused()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-e");
        dialog.Tell(State("call-e", 3, 4));

        dialog.Tell(new AttachCommand("call-e", "hold-1", DialogOperation.Hold));
        ExpectMsg<DialogAttached>();
        dialog.Tell(new AttachCommand("call-e", "xfer-1", DialogOperation.Transfer));
        Assert.Equal("hold-1", _commands.ExpectMsg<GetCommand>().CmdId); // is it still running?
        _commands.Reply(Snapshot("hold-1", "running"));
        Assert.Contains("hold-1", ExpectMsg<DialogBusy>().Reason);
        dialog.Tell(new AttachCommand("call-e", "end-1", DialogOperation.End));
        ExpectMsg<DialogAttached>();

        dialog.Tell(new DetachCommand("call-e", "hold-1"));
        dialog.Tell(new AttachCommand("call-e", "xfer-1", DialogOperation.Transfer));
        ExpectMsg<DialogAttached>();
        dialog.Tell(new DetachCommand("call-e", "xfer-1"));
        dialog.Tell(new AttachCommand("call-e", "xfer-2", DialogOperation.Transfer));
        Assert.Contains("already transferred", ExpectMsg<DialogBusy>().Reason);
    }

    [Fact]
    public void A_watch_left_by_a_command_that_has_ended_is_dropped_instead_of_blocking_the_call()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-g");
        dialog.Tell(new AttachCommand("call-g", "hold-old", DialogOperation.Hold));
        ExpectMsg<DialogAttached>();
        // hold-old's detach was lost (its dialog shard moved while it ended).

        dialog.Tell(new AttachCommand("call-g", "unhold-new", DialogOperation.Hold));
        Assert.Equal("hold-old", _commands.ExpectMsg<GetCommand>().CmdId);
        dialog.Tell(new GetDialog("call-g")); // waits in the stash meanwhile
        _commands.Reply(Snapshot("hold-old", "ok"));

        Assert.Equal("unhold-new", ExpectMsg<DialogAttached>().CmdId);
        Assert.Equal(["hold-old", "unhold-new"], ExpectMsg<DialogView>().CmdIds);
    }

    [Fact]
    public void Hold_state_per_leg_is_what_the_hold_commands_recorded_not_raw_events()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(_commands.Ref, Settings), "call-f");
        dialog.Tell(new CallHoldEvent("call-f", "callee", "hold", "ok")); // the recvonly side of a one-leg hold
        dialog.Tell(new RecordHoldState("call-f", "caller", true));

        dialog.Tell(new GetDialog("call-f"));
        var view = ExpectMsg<DialogView>();
        Assert.Equal((true, false), (view.CallerHeld, view.CalleeHeld));

        dialog.Tell(new RecordHoldState("call-f", "caller", false));
        dialog.Tell(new GetDialog("call-f"));
        Assert.False(ExpectMsg<DialogView>().CallerHeld);
    }

    private static CommandSnapshot Snapshot(string cmdId, string status) =>
        new(cmdId, CommandMethods.CallHold, new Dictionary<string, string>(), status, []);

    private static DialogStateChanged State(string callId, int from, int to) =>
        new(callId, "d.1", "42", "ft", "tt", from, to);
}
