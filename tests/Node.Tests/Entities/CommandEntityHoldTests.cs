using Akka.Actor;
using System.Text.Json;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Commands;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.Entities;

/// <summary>CallHold's state machine with probes for the MI pool, the dialog region and the client.</summary>
public sealed class CommandEntityHoldTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly CommandSettings Settings = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30))
    {
        HoldTimeout = TimeSpan.FromMilliseconds(400),
    };

    private readonly TestProbe _mi;
    private readonly TestProbe _dialogs;
    private readonly TestProbe _client;

    public CommandEntityHoldTests() : base(EntityTestConfig.Config)
    {
        _mi = CreateTestProbe();
        _dialogs = CreateTestProbe();
        _client = CreateTestProbe();
    }

    [Fact]
    public void Events_in_any_order_and_before_the_MI_reply_end_ok_with_one_CALL_HOLD_per_leg()
    {
        var entity = StartHold("hold-1", "call-1");
        Assert.Equal("call_hold", _mi.ExpectMsg<MiCall>().Method);

        entity.Tell(Hold("hold-1", "call-1", "callee", "ok"));
        entity.Tell(Hold("hold-1", "call-1", "caller", "start"));
        entity.Tell(Hold("hold-1", "call-1", "callee", "ok")); // duplicate datagram
        entity.Tell(Hold("hold-1", "call-1", "caller", "ok"));
        _client.ExpectMsg<CommandNotification>();
        _client.ExpectMsg<CommandNotification>();
        _client.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // not ended before the MI reply
        entity.Tell(new MiSuccess("hold", "call_hold", JsonDocument.Parse("\"OK\"").RootElement.Clone()), _mi);

        Assert.Equal("ok", _client.ExpectMsg<CommandNotification>().Status);
        Assert.Equal(2, _dialogs.ReceiveN(2).OfType<RecordHoldState>().Count(r => r.Held));
    }

    [Fact]
    public void Lost_ok_events_are_reconciled_by_asking_again_where_480_means_the_hold_took_effect()
    {
        var entity = StartHold("hold-2", "call-2");
        _mi.ExpectMsg<MiCall>();
        entity.Tell(new MiSuccess("hold", "call_hold", JsonDocument.Parse("\"OK\"").RootElement.Clone()), _mi);
        entity.Tell(Hold("hold-2", "call-2", "caller", "ok"));
        Assert.Equal("caller", _client.ExpectMsg<CommandNotification>().Leg);

        var again = _mi.ExpectMsg<MiCall>(TimeSpan.FromSeconds(3));
        Assert.Equal(("call_hold", (object?)"hold-check"), (again.Method, again.Tag));
        entity.Tell(new MiFailure("hold-check", "call_hold", 480, "Both dialog legs are on hold", null), _mi);

        var callee = _client.ExpectMsg<CommandNotification>();
        Assert.Equal((EventCodes.CallHold, "callee"), (callee.Data, callee.Leg));
        Assert.Equal("ok", _client.ExpectMsg<CommandNotification>().Status);
    }

    [Fact]
    public void A_leg_whose_re_INVITE_failed_ends_the_command_failed()
    {
        var entity = StartHold("hold-3", "call-3");
        _mi.ExpectMsg<MiCall>();
        entity.Tell(new MiSuccess("hold", "call_hold", JsonDocument.Parse("\"OK\"").RootElement.Clone()), _mi);
        entity.Tell(Hold("hold-3", "call-3", "caller", "ok"));
        entity.Tell(Hold("hold-3", "call-3", "callee", "fail"));

        _client.ExpectMsg<CommandNotification>();
        var ended = _client.ExpectMsg<CommandNotification>();
        Assert.Equal(("failed", ErrorCodes.ServerError), (ended.Status, ended.Error!.Code));
        Assert.Contains("callee", ended.Error.Message);
    }

    [Fact]
    public void A_busy_dialog_is_asked_again_before_the_command_ends_32002()
    {
        var entity = Sys.ActorOf(CommandEntity.Props("hold-4", _mi.Ref, _dialogs.Ref, Settings));
        entity.Tell(new StartCommand("hold-4", CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = "call-4" }, _client.Ref));
        _client.ExpectMsg<CommandAccepted>();

        // The previous command's detach is still on its way: busy once, then free.
        _dialogs.ExpectMsg<AttachCommand>();
        entity.Tell(new DialogBusy("hold-4", "call-4", "busy with unhold-3"), _dialogs);
        _dialogs.ExpectMsg<AttachCommand>(TimeSpan.FromSeconds(1));
        entity.Tell(new DialogAttached("hold-4", new DialogView("call-4", "a.b", null, null, 4, [])), _dialogs);
        Assert.Equal("call_hold", _mi.ExpectMsg<MiCall>().Method);

        // Busy for good: -32002 after a few looks.
        var other = Sys.ActorOf(CommandEntity.Props("hold-5", _mi.Ref, _dialogs.Ref, Settings));
        other.Tell(new StartCommand("hold-5", CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = "call-4" }, _client.Ref));
        _client.ExpectMsg<CommandAccepted>();
        for (var i = 0; i < 6; i++)
        {
            _dialogs.ExpectMsg<AttachCommand>(TimeSpan.FromSeconds(1));
            other.Tell(new DialogBusy("hold-5", "call-4", "busy with transfer-9"), _dialogs);
        }

        var ended = _client.ExpectMsg<CommandNotification>();
        Assert.Equal(ErrorCodes.CallBusy, ended.Error!.Code);
    }

    private Akka.Actor.IActorRef StartHold(string cmdId, string callId)
    {
        var entity = Sys.ActorOf(CommandEntity.Props(cmdId, _mi.Ref, _dialogs.Ref, Settings));
        entity.Tell(new StartCommand(cmdId, CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = callId }, _client.Ref));
        _client.ExpectMsg<CommandAccepted>();
        Assert.Equal(DialogOperation.Hold, _dialogs.ExpectMsg<AttachCommand>().Operation);
        entity.Tell(new DialogAttached(cmdId, new DialogView(callId, "a.b", null, null, 4, [])), _dialogs);
        return entity;
    }

    private static DialogEventNotice Hold(string cmdId, string callId, string leg, string state) =>
        new(cmdId, new CallHoldEvent(callId, leg, "hold", state));
}
