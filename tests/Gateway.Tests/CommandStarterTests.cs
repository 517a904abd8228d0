using Akka.Actor;
using CallCluster.Contracts;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Rest;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests;

/// <summary>The REST path's starter alone, with a probe as the command region: who gets which answer, and what it
/// leaves subscribed.</summary>
public sealed class CommandStarterTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = INFO", output)
{
    private static readonly Dictionary<string, string> EndX = new() { ["callid"] = "x" };

    [Fact]
    public async Task The_asker_gets_the_answer_and_the_subscription_is_dropped_with_its_notifications_swallowed()
    {
        var region = CreateTestProbe();
        var starter = Sys.ActorOf(CommandStarter.Props(region.Ref, TimeSpan.FromSeconds(5)));

        var asked = starter.Ask<ICommandMessage>(new CommandStarter.Start("c1", CommandMethods.CallEnd, EndX), TimeSpan.FromSeconds(5));
        var start = region.ExpectMsg<StartCommand>();
        Assert.Equal(("c1", starter), (start.CmdId, start.Subscriber));
        starter.Tell(new CommandAccepted("c1", Existing: true));
        starter.Tell(CommandNotification.EndedOk("c1", 1));

        Assert.Equal(new CommandAccepted("c1", true), await asked);
        Assert.Equal(new UnsubscribeCommand("c1", starter), region.ExpectMsg<UnsubscribeCommand>());
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Answers_for_one_cmd_id_go_to_its_askers_in_the_order_they_asked()
    {
        var region = CreateTestProbe();
        var starter = Sys.ActorOf(CommandStarter.Props(region.Ref, TimeSpan.FromSeconds(5)));

        var first = starter.Ask<ICommandMessage>(new CommandStarter.Start("k", CommandMethods.CallEnd, EndX), TimeSpan.FromSeconds(5));
        region.ExpectMsg<StartCommand>();
        var second = starter.Ask<ICommandMessage>(new CommandStarter.Start("k", CommandMethods.CallHold, EndX), TimeSpan.FromSeconds(5));
        region.ExpectMsg<StartCommand>();
        starter.Tell(new CommandAccepted("k", Existing: false));
        starter.Tell(new CommandRejected("k", ErrorCodes.InvalidParams, "Invalid params", "cmd_id: already used"));

        Assert.IsType<CommandAccepted>(await first);
        Assert.Equal(ErrorCodes.InvalidParams, Assert.IsType<CommandRejected>(await second).Code);
    }

    [Fact]
    public async Task Past_MaxWaiting_unanswered_starts_a_start_is_refused_32004_at_once()
    {
        var region = CreateTestProbe();
        var starter = Sys.ActorOf(CommandStarter.Props(region.Ref, TimeSpan.FromSeconds(30)));
        for (var i = 0; i < CommandStarter.MaxWaiting; i++)
        {
            starter.Tell(new CommandStarter.Start($"w{i}", CommandMethods.CallEnd, EndX), ActorRefs.NoSender);
        }

        var refused = await starter.Ask<ICommandMessage>(new CommandStarter.Start("one-more", CommandMethods.CallEnd, EndX),
            TimeSpan.FromSeconds(10));

        Assert.Equal(ErrorCodes.Overloaded, Assert.IsType<CommandRejected>(refused).Code);
    }

    [Fact]
    public async Task A_start_unanswered_half_way_to_the_ask_timeout_is_sent_once_more()
    {
        var region = CreateTestProbe();
        // Ticks every second, resends at two seconds; answered well before the four-second deadline.
        var starter = Sys.ActorOf(CommandStarter.Props(region.Ref, TimeSpan.FromSeconds(4)));

        var asked = starter.Ask<ICommandMessage>(new CommandStarter.Start("r1", CommandMethods.CallEnd, EndX), TimeSpan.FromSeconds(5));
        var first = region.ExpectMsg<StartCommand>();
        var again = region.ExpectMsg<StartCommand>(TimeSpan.FromSeconds(3));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        starter.Tell(new CommandAccepted("r1", Existing: false));

        Assert.Equal(first, again);
        Assert.IsType<CommandAccepted>(await asked);
    }

    [Fact]
    public async Task A_generated_cmd_id_is_marked_new_on_the_first_send_and_not_on_the_resend()
    {
        var region = CreateTestProbe();
        var starter = Sys.ActorOf(CommandStarter.Props(region.Ref, TimeSpan.FromSeconds(4)));

        var asked = starter.Ask<ICommandMessage>(new CommandStarter.Start("r-gen", CommandMethods.CallEnd, EndX) { CmdIdGenerated = true },
            TimeSpan.FromSeconds(5));
        Assert.True(region.ExpectMsg<StartCommand>().FreshCmdId);
        Assert.False(region.ExpectMsg<StartCommand>(TimeSpan.FromSeconds(3)).FreshCmdId);
        starter.Tell(new CommandAccepted("r-gen", Existing: false));
        Assert.IsType<CommandAccepted>(await asked);
        Assert.Equal("r-gen", region.ExpectMsg<UnsubscribeCommand>().CmdId); // REST does not follow notifications

        // An Idempotency-Key (the client's cmd_id) is never marked.
        var keyed = starter.Ask<ICommandMessage>(new CommandStarter.Start("r-key", CommandMethods.CallEnd, EndX), TimeSpan.FromSeconds(5));
        Assert.False(region.ExpectMsg<StartCommand>().FreshCmdId);
        starter.Tell(new CommandAccepted("r-key", Existing: false));
        Assert.IsType<CommandAccepted>(await keyed);
    }
}
