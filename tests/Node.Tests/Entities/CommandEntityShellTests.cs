using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Node.Commands;

namespace CallCluster.Node.Tests.Entities;

/// <summary>The command region's entity shell with a stand-in command: it picks the command's recovery from the first
/// message, passes messages on with their sender, and passes passivation, hand-off and failures through the way the
/// shard expects.</summary>
public sealed class CommandEntityShellTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly IReadOnlyDictionary<string, string> CallEndParams = new Dictionary<string, string> { ["callid"] = "x" };

    public CommandEntityShellTests() : base(EntityTestConfig.Config)
    {
    }

    [Fact]
    public void Only_a_first_start_whose_cmd_id_is_fresh_starts_the_command_as_known_new()
    {
        var fresh = new StartCommand("c-1", CommandMethods.CallEnd, CallEndParams, TestActor) { FreshCmdId = true };
        Assert.True(FirstIncarnationOf(fresh));
        Assert.False(FirstIncarnationOf(fresh with { FreshCmdId = false }));
        Assert.False(FirstIncarnationOf(new GetCommand("c-1")));
        Assert.False(FirstIncarnationOf(new SubscribeCommand("c-1", 0, TestActor)));
    }

    [Fact]
    public void Messages_reach_the_command_with_their_sender_and_a_later_fresh_start_changes_nothing()
    {
        var (shell, created, _) = StartShell();
        var client = CreateTestProbe();
        shell.Tell(new GetCommand("c-1"), client.Ref);
        Assert.False(created.ExpectMsg<Created>().KnownNew);
        var command = created.LastSender;

        shell.Tell(new StartCommand("c-1", CommandMethods.CallEnd, CallEndParams, client.Ref) { FreshCmdId = true }, client.Ref);
        Assert.IsType<GetCommand>(client.ExpectMsg<Echo>().Message);
        Assert.IsType<StartCommand>(client.ExpectMsg<Echo>().Message);
        Assert.Equal(command, client.LastSender);
        created.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // still the same command
    }

    [Fact]
    public void The_commands_passivation_goes_to_the_shard_and_its_queued_messages_are_handled_before_it_stops()
    {
        var (shell, created, shard) = StartShell();
        var client = CreateTestProbe();
        Watch(shell);
        shell.Tell(new GetCommand("c-1"), client.Ref);
        created.ExpectMsg<Created>();
        var command = created.LastSender;
        Watch(command);
        client.ExpectMsg<Echo>();

        command.Tell(new AskToPassivate(), client.Ref);
        var passivate = shard.ExpectMsg<Passivate>();
        // What the shard does: stop sending (it buffers), and send the shell its stop message. A message the shell
        // passed on just before is still handled.
        shell.Tell("queued before the stop", client.Ref);
        shell.Tell(passivate.StopMessage, shard.Ref);
        Assert.Equal("queued before the stop", client.ExpectMsg<Echo>().Message);
        ExpectTerminated(command);
        ExpectTerminated(shell);
    }

    [Fact]
    public void A_hand_off_is_passed_on_and_the_shell_stops_once_the_command_has()
    {
        var (shell, created, _) = StartShell();
        Watch(shell);
        shell.Tell(new GetCommand("c-1"));
        created.ExpectMsg<Created>();
        var command = created.LastSender;
        Watch(command);
        ExpectMsg<Echo>();

        shell.Tell(CommandHandOff.Instance);
        ExpectTerminated(command);
        ExpectTerminated(shell);
    }

    [Fact]
    public void A_command_that_fails_is_started_again_with_the_full_recovery_even_if_it_was_known_new()
    {
        var (shell, created, _) = StartShell();
        shell.Tell(new StartCommand("c-1", CommandMethods.CallEnd, CallEndParams, TestActor) { FreshCmdId = true });
        Assert.True(created.ExpectMsg<Created>().KnownNew);
        var first = created.LastSender;
        ExpectMsg<Echo>();

        EventFilter.Exception<InvalidOperationException>().ExpectOne(() => shell.Tell(new Fail()));
        // By then it has stored events: the next incarnation must read them.
        Assert.False(created.ExpectMsg<Created>().KnownNew);
        Assert.NotEqual(first, created.LastSender);
        shell.Tell(new GetCommand("c-1"));
        Assert.IsType<GetCommand>(ExpectMsg<Echo>().Message);
    }

    /// <summary>The recovery the shell chose for the command its first message started.</summary>
    private bool FirstIncarnationOf(object first)
    {
        var (shell, created, _) = StartShell();
        shell.Tell(first);
        var knownNew = created.ExpectMsg<Created>().KnownNew;
        ExpectMsg<Echo>();
        return knownNew;
    }

    /// <summary>A shell as a child of a probe standing in for the shard; the stand-in commands report to
    /// <c>created</c>.</summary>
    private (IActorRef Shell, TestProbe Created, TestProbe Shard) StartShell()
    {
        var created = CreateTestProbe();
        var shard = CreateTestProbe();
        var shell = shard.ChildActorOf(CommandEntityShell.Props(knownNew => Props.Create(() => new StandInCommand(knownNew, created.Ref))));
        return (shell, created, shard);
    }

    private sealed record Created(bool KnownNew);

    private sealed record Echo(object Message);

    private sealed record AskToPassivate;

    private sealed record Fail;

    /// <summary>Reports its creation, echoes every message to its sender, passivates or throws when told.</summary>
    private sealed class StandInCommand : ReceiveActor
    {
        public StandInCommand(bool knownNew, IActorRef created)
        {
            created.Tell(new Created(knownNew));
            Receive<AskToPassivate>(_ => Context.Parent.Tell(new Passivate(PoisonPill.Instance)));
            Receive<Fail>(_ => throw new InvalidOperationException("the command failed"));
            Receive<CommandHandOff>(_ => Context.Stop(Self));
            ReceiveAny(m => Sender.Tell(new Echo(m)));
        }
    }
}
