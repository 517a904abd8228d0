using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Dialogs;

namespace CallCluster.Node.Tests.Entities;

/// <summary>The dialog entity: records states (persisted), ignores duplicates, never regresses on reordering,
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
    public void Records_states_in_any_order_without_regressing_and_survives_a_restart()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props("call-a", _commands.Ref, Settings));
        dialog.Tell(State("call-a", 1, 2));
        dialog.Tell(State("call-a", 3, 4));
        dialog.Tell(State("call-a", 2, 3)); // late: must not take the dialog back to 3

        dialog.Tell(new GetDialog("call-a"));
        var view = ExpectMsg<DialogView>();
        Assert.Equal((4, "d.1", "ft", "tt"), (view.State, view.DialogId, view.FromTag, view.ToTag));

        Watch(dialog);
        Sys.Stop(dialog);
        ExpectTerminated(dialog);
        var revived = Sys.ActorOf(DialogEntity.Props("call-a", _commands.Ref, Settings));
        revived.Tell(new GetDialog("call-a"));
        Assert.Equal(4, ExpectMsg<DialogView>().State);
    }

    [Fact]
    public void Forwards_events_to_attached_commands_once_and_stops_after_detach()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props("call-b", _commands.Ref, Settings));
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

    [Fact]
    public void Attach_reports_what_is_known_so_far()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props("call-c", _commands.Ref, Settings));
        dialog.Tell(State("call-c", 3, 4));

        dialog.Tell(new AttachCommand("call-c", "cmd-2"));

        var attached = ExpectMsg<DialogAttached>();
        Assert.Equal((4, "d.1"), (attached.Dialog.State, attached.Dialog.DialogId));
    }

    [Fact]
    public void A_late_2xx_revives_a_deleted_dialog()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props("call-d", _commands.Ref, Settings));
        dialog.Tell(State("call-d", 1, 5));
        dialog.Tell(State("call-d", 5, 3));

        dialog.Tell(new GetDialog("call-d"));
        Assert.Equal(3, ExpectMsg<DialogView>().State);
    }

    [Fact]
    public void Hold_and_transfer_exclude_each_other_and_a_second_transfer_is_refused()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props("call-e", _commands.Ref, Settings));
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
        var dialog = Sys.ActorOf(DialogEntity.Props("call-g", _commands.Ref, Settings));
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
        var dialog = Sys.ActorOf(DialogEntity.Props("call-f", _commands.Ref, Settings));
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
