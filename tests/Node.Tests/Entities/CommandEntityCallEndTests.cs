using System.Text.Json;
using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Commands;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.Entities;

/// <summary>The CallEnd state machine, with probes standing in for the MI pool, the dialog region and the client.</summary>
public sealed class CommandEntityCallEndTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly CommandSettings Settings = new(
        EndConfirmTimeout: TimeSpan.FromMilliseconds(500),
        DialogAttachRetry: TimeSpan.FromMilliseconds(300),
        EndedLinger: TimeSpan.FromSeconds(30));

    private readonly TestProbe _mi;
    private readonly TestProbe _dialogs;
    private readonly TestProbe _client;

    public CommandEntityCallEndTests() : base(EntityTestConfig.Config)
    {
        _mi = CreateTestProbe();
        _dialogs = CreateTestProbe();
        _client = CreateTestProbe();
    }

    [Fact]
    public void Ends_ok_only_after_the_proxy_reports_the_dialog_deleted()
    {
        var entity = StartCallEnd("cmd-ok", "call-1", out _);
        AttachAnswered(entity, "cmd-ok", "call-1", dialogId: "1f5.85c96ae2", state: 4);

        var call = _mi.ExpectMsg<MiCall>();
        Assert.Equal("dlg_end_dlg", call.Method);
        Assert.Equal([new KeyValuePair<string, object>("dialog_id", "1f5.85c96ae2")], call.Params);
        entity.Tell(new MiSuccess(null, "dlg_end_dlg", Json("\"OK\"")), _mi);
        _client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        entity.Tell(Deleted("cmd-ok", "call-1"));
        var callEnd = _client.ExpectMsg<CommandNotification>();
        Assert.Equal((1, NotificationKind.Event, EventCodes.CallEnd, "call-1"), (callEnd.Seq, callEnd.Kind, callEnd.Data, callEnd.CallId));
        var ended = _client.ExpectMsg<CommandNotification>();
        Assert.Equal((2, NotificationKind.Ended, "ok"), (ended.Seq, ended.Kind, ended.Status));
        Assert.Equal(new DetachCommand("call-1", "cmd-ok"), _dialogs.ExpectMsg<DetachCommand>());
    }

    [Fact]
    public void Uses_the_call_id_when_the_dialog_id_is_not_known_yet()
    {
        var entity = StartCallEnd("cmd-cid", "call-2", out _);
        AttachAnswered(entity, "cmd-cid", "call-2", dialogId: null, state: 0);

        Assert.Equal([new KeyValuePair<string, object>("dialog_id", "call-2")], _mi.ExpectMsg<MiCall>().Params);
    }

    [Fact]
    public void Unknown_call_ends_failed_with_32001()
    {
        var entity = StartCallEnd("cmd-404", "nope", out _);
        AttachAnswered(entity, "cmd-404", "nope", null, 0);
        _mi.ExpectMsg<MiCall>();

        entity.Tell(new MiFailure(null, "dlg_end_dlg", 404, "Requested Dialog not found", null), _mi);

        var ended = _client.ExpectMsg<CommandNotification>();
        Assert.Equal((1, "failed", ErrorCodes.CallUnknown), (ended.Seq, ended.Status, ended.Error!.Code));
        Assert.Contains("404 Requested Dialog not found", ended.Error.Message);
    }

    [Fact]
    public void Proxy_timeout_ends_failed_with_32003()
    {
        var entity = StartCallEnd("cmd-timeout", "call-3", out _);
        AttachAnswered(entity, "cmd-timeout", "call-3", null, 4);
        _mi.ExpectMsg<MiCall>();

        entity.Tell(new MiTimeout(null, "dlg_end_dlg", TimeSpan.FromSeconds(5)), _mi);

        var ended = _client.ExpectMsg<CommandNotification>();
        Assert.Equal(("failed", ErrorCodes.ProxyUnavailable), (ended.Status, ended.Error!.Code));
    }

    [Fact]
    public void A_lost_state_5_event_is_caught_by_asking_dlg_list()
    {
        var entity = StartCallEnd("cmd-lost", "call-4", out _);
        AttachAnswered(entity, "cmd-lost", "call-4", "a.b", 4);
        _mi.ExpectMsg<MiCall>();
        entity.Tell(new MiSuccess(null, "dlg_end_dlg", Json("\"OK\"")), _mi);

        var check = _mi.ExpectMsg<MiCall>(TimeSpan.FromSeconds(3));
        Assert.Equal("dlg_list", check.Method);
        Assert.Equal([new KeyValuePair<string, object>("callid", "call-4")], check.Params);
        entity.Tell(new MiFailure(null, "dlg_list", 404, "No such dialog", null), _mi);

        Assert.Equal(EventCodes.CallEnd, _client.ExpectMsg<CommandNotification>().Data);
        Assert.Equal("ok", _client.ExpectMsg<CommandNotification>().Status);
    }

    [Fact]
    public void A_dialog_still_alive_after_the_confirmation_window_fails_with_32003()
    {
        var entity = StartCallEnd("cmd-alive", "call-5", out _);
        AttachAnswered(entity, "cmd-alive", "call-5", "a.b", 4);
        _mi.ExpectMsg<MiCall>();
        entity.Tell(new MiSuccess(null, "dlg_end_dlg", Json("\"OK\"")), _mi);
        _mi.ExpectMsg<MiCall>(TimeSpan.FromSeconds(3));

        entity.Tell(new MiSuccess(null, "dlg_list", Json("""{"Dialog":{"ID":"a.b","state":4,"callid":"call-5"}}""")), _mi);

        var ended = _client.ExpectMsg<CommandNotification>();
        Assert.Equal(("failed", ErrorCodes.ProxyUnavailable), (ended.Status, ended.Error!.Code));
        Assert.Contains("state 4", ended.Error.Message);
    }

    [Fact]
    public void Deleted_event_before_the_MI_reply_still_ends_ok()
    {
        var entity = StartCallEnd("cmd-race", "call-6", out _);
        AttachAnswered(entity, "cmd-race", "call-6", "a.b", 4);
        _mi.ExpectMsg<MiCall>();

        entity.Tell(Deleted("cmd-race", "call-6"));
        entity.Tell(new MiSuccess(null, "dlg_end_dlg", Json("\"OK\"")), _mi);

        Assert.Equal(EventCodes.CallEnd, _client.ExpectMsg<CommandNotification>().Data);
        Assert.Equal("ok", _client.ExpectMsg<CommandNotification>().Status);
    }

    [Fact]
    public void Attach_is_retried_until_the_dialog_answers()
    {
        var entity = StartCallEnd("cmd-retry", "call-7", out _);
        _dialogs.ExpectMsg<AttachCommand>();
        _dialogs.ExpectMsg<AttachCommand>(TimeSpan.FromSeconds(2));

        entity.Tell(new DialogAttached("cmd-retry", View("call-7", null, 4)), _dialogs);

        Assert.Equal("dlg_end_dlg", _mi.ExpectMsg<MiCall>().Method);
    }

    [Fact]
    public void Same_cmd_id_and_params_reattaches_and_replays_different_params_are_refused()
    {
        var entity = StartCallEnd("cmd-idem", "call-8", out var parameters);
        AttachAnswered(entity, "cmd-idem", "call-8", "a.b", 4);
        _mi.ExpectMsg<MiCall>();
        entity.Tell(new MiFailure(null, "dlg_end_dlg", 404, "Requested Dialog not found", null), _mi);
        _client.ExpectMsg<CommandNotification>();

        var second = CreateTestProbe();
        entity.Tell(new StartCommand("cmd-idem", CommandMethods.CallEnd, new Dictionary<string, string>(parameters), second.Ref));
        Assert.True(second.ExpectMsg<CommandAccepted>().Existing);
        Assert.Equal(1, second.ExpectMsg<CommandNotification>().Seq);

        entity.Tell(new StartCommand("cmd-idem", CommandMethods.CallEnd,
            new Dictionary<string, string> { ["callid"] = "other" }, second.Ref));
        var rejected = second.ExpectMsg<CommandRejected>();
        Assert.Equal(ErrorCodes.InvalidParams, rejected.Code);
        _mi.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Subscribe_replays_after_the_given_seq_and_get_returns_the_record()
    {
        var entity = StartCallEnd("cmd-sub", "call-9", out _);
        AttachAnswered(entity, "cmd-sub", "call-9", "a.b", 4);
        _mi.ExpectMsg<MiCall>();
        entity.Tell(new MiSuccess(null, "dlg_end_dlg", Json("\"OK\"")), _mi);
        entity.Tell(Deleted("cmd-sub", "call-9"));
        _client.ExpectMsg<CommandNotification>();
        _client.ExpectMsg<CommandNotification>();

        var late = CreateTestProbe();
        entity.Tell(new SubscribeCommand("cmd-sub", 1, late.Ref));
        var subscribed = late.ExpectMsg<CommandSubscribed>();
        Assert.Equal(("ok", 2), (subscribed.Status, subscribed.LastSeq));
        Assert.Equal(2, late.ExpectMsg<CommandNotification>().Seq);
        late.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        entity.Tell(new GetCommand("cmd-sub"), late.Ref);
        var snapshot = late.ExpectMsg<CommandSnapshot>();
        Assert.Equal((CommandMethods.CallEnd, "ok", 2), (snapshot.Method, snapshot.Status, snapshot.Notifications.Count));
    }

    [Fact]
    public void Unknown_cmd_id_queries_are_refused()
    {
        var entity = Sys.ActorOf(CommandEntity.Props("cmd-none", _mi.Ref, _dialogs.Ref, Settings));

        entity.Tell(new GetCommand("cmd-none"), _client.Ref);

        Assert.Equal(ErrorCodes.InvalidParams, _client.ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void After_a_crash_it_resumes_and_a_404_then_means_the_first_dlg_end_dlg_ended_the_call()
    {
        var entity = StartCallEnd("cmd-resume", "call-10", out _);
        AttachAnswered(entity, "cmd-resume", "call-10", "a.b", 4);
        _mi.ExpectMsg<MiCall>();
        Watch(entity);
        Sys.Stop(entity); // crashed before the reply: the BYEs may or may not have left
        ExpectTerminated(entity);

        var revived = Sys.ActorOf(CommandEntity.Props("cmd-resume", _mi.Ref, _dialogs.Ref, Settings));
        var subscriber = CreateTestProbe();
        revived.Tell(new SubscribeCommand("cmd-resume", 0, subscriber.Ref));
        subscriber.ExpectMsg<CommandSubscribed>();
        Assert.Equal("call-10", _dialogs.ExpectMsg<AttachCommand>().CallId);
        revived.Tell(new DialogAttached("cmd-resume", View("call-10", "a.b", 4)), _dialogs);
        Assert.Equal("dlg_end_dlg", _mi.ExpectMsg<MiCall>().Method);
        revived.Tell(new MiFailure(null, "dlg_end_dlg", 404, "Requested Dialog not found", null), _mi);

        var notifications = new[] { subscriber.ExpectMsg<CommandNotification>(), subscriber.ExpectMsg<CommandNotification>() };
        Assert.Equal([EventCodes.CallEnd, null], notifications.Select(n => n.Data));
        Assert.Equal("ok", notifications[1].Status);
    }

    [Fact]
    public void Resumed_when_the_dialog_already_reports_deleted_it_ends_ok_without_asking_the_proxy()
    {
        var entity = StartCallEnd("cmd-resume2", "call-11", out _);
        AttachAnswered(entity, "cmd-resume2", "call-11", "a.b", 4);
        _mi.ExpectMsg<MiCall>();
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity);

        var revived = Sys.ActorOf(CommandEntity.Props("cmd-resume2", _mi.Ref, _dialogs.Ref, Settings));
        var subscriber = CreateTestProbe();
        revived.Tell(new SubscribeCommand("cmd-resume2", 0, subscriber.Ref));
        subscriber.ExpectMsg<CommandSubscribed>();
        _dialogs.ExpectMsg<AttachCommand>();
        revived.Tell(new DialogAttached("cmd-resume2", View("call-11", "a.b", 5)), _dialogs);

        Assert.Equal(EventCodes.CallEnd, subscriber.ExpectMsg<CommandNotification>().Data);
        Assert.Equal("ok", subscriber.ExpectMsg<CommandNotification>().Status);
        _mi.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    private IActorRef StartCallEnd(string cmdId, string callId, out Dictionary<string, string> parameters)
    {
        parameters = new Dictionary<string, string> { ["callid"] = callId };
        var entity = Sys.ActorOf(CommandEntity.Props(cmdId, _mi.Ref, _dialogs.Ref, Settings));
        entity.Tell(new StartCommand(cmdId, CommandMethods.CallEnd, parameters, _client.Ref));
        Assert.False(_client.ExpectMsg<CommandAccepted>().Existing);
        return entity;
    }

    private void AttachAnswered(IActorRef entity, string cmdId, string callId, string? dialogId, int state)
    {
        var attach = _dialogs.ExpectMsg<AttachCommand>();
        Assert.Equal(new AttachCommand(callId, cmdId, DialogOperation.End), attach);
        entity.Tell(new DialogAttached(cmdId, View(callId, dialogId, state)), _dialogs);
    }

    private static DialogView View(string callId, string? dialogId, int state) => new(callId, dialogId, null, null, state, []);

    private static DialogEventNotice Deleted(string cmdId, string callId) =>
        new(cmdId, new DialogStateChanged(callId, "a.b", null, "ft", "tt", 4, 5));

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
