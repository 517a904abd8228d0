using System.Text;
using System.Text.Json;
using Akka.Actor;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Connection;
using CallCluster.Gateway.Protocol;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests;

/// <summary>The connection actor alone, with probes as the region and the outbound stream: exact ordering.</summary>
public sealed class ConnectionActorTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = INFO", output)
{
    private static readonly RequestParser Parser = new(new MethodRegistry(GatewaySettings.DefaultEnabledMethods));

    private static InboundFrame Frame(string json) => Parser.Parse(Encoding.UTF8.GetBytes(json));

    private static string End(string id, string cmdId) =>
        $$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"CallEnd","params":{"callid":"x","cmd_id":"{{{cmdId}}}"}}""";

    private JsonElement Out(Akka.TestKit.TestProbe outbound)
    {
        using var doc = JsonDocument.Parse(outbound.ExpectMsg<byte[]>());
        return doc.RootElement.Clone();
    }

    private static int Seq(JsonElement n) => n.GetProperty("params").GetProperty("seq").GetInt32();

    [Fact]
    public void Held_notifications_follow_the_reply_in_seq_order_without_duplicates()
    {
        var region = CreateTestProbe();
        var outbound = CreateTestProbe();
        var actor = Sys.ActorOf(ConnectionActor.Props(region.Ref, outbound.Ref, GatewaySettings.Default));

        actor.Tell(Frame(End("1", "c1")));
        var start = region.ExpectMsg<StartCommand>();
        Assert.Equal("c1", start.CmdId);
        Assert.Equal("x", start.Params["callid"]);
        Assert.Equal(actor, start.Subscriber);

        actor.Tell(CommandNotification.Event("c1", 2, EventCodes.CallEnd));
        actor.Tell(CommandNotification.Event("c1", 1, EventCodes.CallEnd));
        actor.Tell(CommandNotification.Event("c1", 1, EventCodes.CallEnd));
        actor.Tell(new CommandAccepted("c1", false));

        Assert.Equal("c1", Out(outbound).GetProperty("result").GetProperty("cmd_id").GetString());
        Assert.Equal(1, Seq(Out(outbound)));
        Assert.Equal(2, Seq(Out(outbound)));
        actor.Tell(CommandNotification.Event("c1", 2, EventCodes.CallEnd));
        actor.Tell(CommandNotification.EndedOk("c1", 3));
        actor.Tell(CommandNotification.EndedOk("c1", 3));
        Assert.Equal(3, Seq(Out(outbound)));

        // After Ended the connection forgets c1: a late notification is dropped; the next frame is the fence's reply.
        actor.Tell(CommandNotification.Event("c1", 4, EventCodes.CallEnd));
        actor.Tell(Frame(End("2", "c2")));
        region.ExpectMsg<StartCommand>();
        actor.Tell(new CommandRejected("c2", ErrorCodes.CallBusy, "busy", null));
        Assert.Equal(ErrorCodes.CallBusy, Out(outbound).GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public void A_gap_in_seq_or_a_quiet_command_in_flight_subscribes_again_after_the_last_seq()
    {
        var region = CreateTestProbe();
        var outbound = CreateTestProbe();
        var settings = GatewaySettings.Default with { AskTimeout = TimeSpan.FromMilliseconds(400) };
        var actor = Sys.ActorOf(ConnectionActor.Props(region.Ref, outbound.Ref, settings with { ResubscribeAfter = TimeSpan.FromMilliseconds(600) }));
        actor.Tell(Frame(End("1", "c1")));
        region.ExpectMsg<StartCommand>();
        actor.Tell(new CommandAccepted("c1", false));
        actor.Tell(CommandNotification.Event("c1", 1, EventCodes.CallEnd));
        Out(outbound);
        Assert.Equal(1, Seq(Out(outbound)));

        // seq 2 never came (lost while the command moved to another node): ask for everything after 1.
        actor.Tell(CommandNotification.EndedOk("c1", 3));
        var gap = region.ExpectMsg<SubscribeCommand>();
        Assert.Equal(("c1", 1), (gap.CmdId, gap.AfterSeq));

        // Still nothing: being quiet in flight, it is subscribed again, still after 1.
        var quiet = region.ExpectMsg<SubscribeCommand>(TimeSpan.FromSeconds(3));
        Assert.Equal(("c1", 1), (quiet.CmdId, quiet.AfterSeq));

        actor.Tell(CommandNotification.Event("c1", 2, EventCodes.CallEnd));
        Assert.Equal(2, Seq(Out(outbound)));
        Assert.Equal(3, Seq(Out(outbound)));
    }

    [Fact]
    public void An_unanswered_start_is_sent_once_more_half_way_to_its_deadline()
    {
        var region = CreateTestProbe();
        var outbound = CreateTestProbe();
        // Ticks every second; the deadline is 4 s away, so the re-send (at 2 s) and the quiet window after it end
        // well before the request would time out.
        var settings = GatewaySettings.Default with { AskTimeout = TimeSpan.FromSeconds(4) };
        var actor = Sys.ActorOf(ConnectionActor.Props(region.Ref, outbound.Ref, settings));

        actor.Tell(Frame(End("1", "lost-1")));
        var first = region.ExpectMsg<StartCommand>(); // dropped, as by a shard being handed off
        var second = region.ExpectMsg<StartCommand>(TimeSpan.FromSeconds(3));
        Assert.Equal(first, second);
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        actor.Tell(new CommandAccepted("lost-1", false));
        Assert.Equal("lost-1", Out(outbound).GetProperty("result").GetProperty("cmd_id").GetString());
    }

    [Fact]
    public void A_cmd_id_the_gateway_generated_is_marked_new_on_its_first_send_only()
    {
        var region = CreateTestProbe();
        var outbound = CreateTestProbe();
        var settings = GatewaySettings.Default with { AskTimeout = TimeSpan.FromSeconds(4) };
        var actor = Sys.ActorOf(ConnectionActor.Props(region.Ref, outbound.Ref, settings));

        // No cmd_id: the gateway makes one up, and nothing can be stored under it yet.
        actor.Tell(Frame("""{"jsonrpc":"2.0","id":1,"method":"CallEnd","params":{"callid":"x"}}"""));
        var first = region.ExpectMsg<StartCommand>();
        Assert.True(first.FreshCmdId);
        Assert.True(Guid.TryParse(first.CmdId, out _));
        // Unanswered, it is sent again: that copy may reach an incarnation that stored the first, so it is not new.
        var again = region.ExpectMsg<StartCommand>(TimeSpan.FromSeconds(3));
        Assert.Equal(first.CmdId, again.CmdId);
        Assert.False(again.FreshCmdId);
        actor.Tell(new CommandAccepted(first.CmdId, false));
        Assert.Equal(first.CmdId, Out(outbound).GetProperty("result").GetProperty("cmd_id").GetString());

        // A client's own cmd_id may name a command that exists: never marked new.
        actor.Tell(Frame(End("2", "client-chosen")));
        Assert.False(region.ExpectMsg<StartCommand>().FreshCmdId);
    }

    [Fact]
    public void CallGet_is_answered_from_the_dialog_region_and_a_batch_waits_for_it()
    {
        var region = CreateTestProbe();
        var dialogs = CreateTestProbe();
        var outbound = CreateTestProbe();
        var actor = Sys.ActorOf(ConnectionActor.Props(region.Ref, outbound.Ref, GatewaySettings.Default, dialogs.Ref));

        actor.Tell(Frame("[{\"jsonrpc\":\"2.0\",\"id\":\"g\",\"method\":\"CallGet\",\"params\":{\"callid\":\"c-9\"}}," + End("7", "cmd-9") + "]"));
        region.ExpectMsg<StartCommand>();
        actor.Tell(new CommandAccepted("cmd-9", false));
        Assert.Equal("c-9", dialogs.ExpectMsg<CallCluster.Contracts.Dialogs.GetDialog>().CallId);
        outbound.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // the batch waits for the CallGet slot
        dialogs.Reply(new CallCluster.Contracts.Dialogs.DialogView("c-9", "1.2", null, null, 4, ["cmd-1"], CallerHeld: true));

        var batch = Out(outbound);
        var get = batch.EnumerateArray().Single(r => r.GetProperty("id").ValueKind == JsonValueKind.String).GetProperty("result");
        Assert.Equal(("c-9", "confirmed", 4, true), (get.GetProperty("callid").GetString(), get.GetProperty("state").GetString(),
            get.GetProperty("state_code").GetInt32(), get.GetProperty("hold").GetProperty("caller").GetBoolean()));
    }

    [Fact]
    public void Batch_reply_is_written_before_notifications_of_any_of_its_commands()
    {
        var region = CreateTestProbe();
        var outbound = CreateTestProbe();
        var actor = Sys.ActorOf(ConnectionActor.Props(region.Ref, outbound.Ref, GatewaySettings.Default));

        actor.Tell(Frame($"[{End("1", "a")},{End("2", "b")}]"));
        region.ExpectMsg<StartCommand>();
        region.ExpectMsg<StartCommand>();
        actor.Tell(new CommandAccepted("a", false));
        actor.Tell(CommandNotification.Event("a", 1, EventCodes.CallEnd));
        actor.Tell(new CommandAccepted("b", false));

        var batch = Out(outbound);
        Assert.Equal(JsonValueKind.Array, batch.ValueKind);
        Assert.Equal(2, batch.GetArrayLength());
        var n = Out(outbound);
        Assert.Equal("a", n.GetProperty("params").GetProperty("cmd_id").GetString());
    }

    [Fact]
    public void Stopping_unsubscribes_every_followed_command()
    {
        var region = CreateTestProbe();
        var outbound = CreateTestProbe();
        var actor = Sys.ActorOf(ConnectionActor.Props(region.Ref, outbound.Ref, GatewaySettings.Default));
        actor.Tell(Frame(End("1", "u1")));
        region.ExpectMsg<StartCommand>();
        actor.Tell(new CommandAccepted("u1", false));
        Out(outbound);
        actor.Tell(new ConnectionClosed("test"));
        Assert.Equal("u1", region.ExpectMsg<UnsubscribeCommand>().CmdId);

        // Late messages to the stopped actor are dead letters, not crashes.
        actor.Tell(CommandNotification.EndedOk("u1", 2));
    }
}
