using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Sharding;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;
using CallCluster.Node.Sharding;
using CallCluster.Node.Tests.Entities;

namespace CallCluster.Node.Tests.Sharding;

/// <summary>What Akka's ShardRegion drops at a shard hand-off is sent again (src/Node/Sharding/HandOffRedelivery.cs),
/// and a node whose coordinated shutdown has begun routes its EVI events to another call node (EviRouter). Real
/// ActorSystems on 127.0.0.1: the drop is published exactly as Akka's MessageBufferMap.Drop does it (a
/// <see cref="Dropped"/> told to dead letters); the other call node runs a real <c>dialog</c> shard region.</summary>
public sealed class HandOffRedeliveryTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly List<ActorSystem> _systems = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var system in _systems)
        {
            await system.Terminate().WaitAsync(Bound);
        }
    }

    [Fact]
    public async Task A_staying_node_sends_what_was_dropped_at_hand_off_to_its_own_region_with_the_original_sender()
    {
        var node = Start(seed: null);
        await WaitForUpAsync(node, 1);
        var (commandRegion, commands) = Collector(node, "command-region");
        var (dialogRegion, dialogs) = Collector(node, "dialog-region");
        await StartedAsync(node.ActorOf(HandOffRedelivery.Props(commandRegion, dialogRegion), "handoff-redelivery"));
        var (asker, _) = Collector(node, "asker");
        var transferStart = new CallTransferEvent("call-1", "caller", "new-call", "sip:c@127.0.0.1", "start", null);
        var notice = new DialogEventNotice("cmd-1", transferStart);

        node.DeadLetters.Tell(new Dropped(transferStart, HandOffRedelivery.HandOffDropReason, asker, ActorRefs.NoSender));
        node.DeadLetters.Tell(new Dropped(notice, HandOffRedelivery.HandOffDropReason, ActorRefs.NoSender, ActorRefs.NoSender));

        var (dialogMessage, dialogSender) = await dialogs.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(transferStart, dialogMessage);
        Assert.Equal(asker, dialogSender);
        var (commandMessage, _) = await commands.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(notice, commandMessage);
    }

    [Fact]
    public async Task Other_drops_and_other_messages_are_left_alone()
    {
        var node = Start(seed: null);
        await WaitForUpAsync(node, 1);
        var (dialogRegion, dialogs) = Collector(node, "dialog-region");
        await StartedAsync(node.ActorOf(HandOffRedelivery.Props(ActorRefs.Nobody, dialogRegion), "handoff-redelivery"));
        var hold = new CallHoldEvent("call-2", "callee", "hold", "start");

        // Back-pressure (a full buffer) is not a hand-off, a plain dead letter is not a drop, and a message that is no
        // command or dialog message has no region; then one hand-off drop, which must be the only thing delivered.
        node.DeadLetters.Tell(new Dropped(hold, "Buffer for [call-2] is full", ActorRefs.NoSender, ActorRefs.NoSender));
        node.DeadLetters.Tell(hold);
        node.DeadLetters.Tell(new Dropped("not a call message", HandOffRedelivery.HandOffDropReason, ActorRefs.NoSender, ActorRefs.NoSender));
        var marker = hold with { CallId = "call-3" };
        node.DeadLetters.Tell(new Dropped(marker, HandOffRedelivery.HandOffDropReason, ActorRefs.NoSender, ActorRefs.NoSender));

        var (first, _) = await dialogs.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(marker, first);
        Assert.False(dialogs.TryRead(out var extra), "delivered besides the hand-off drop: " + extra.Message);
    }

    [Fact]
    public async Task What_reached_a_stopped_entity_or_a_shard_handing_off_is_sent_again_what_an_entity_refused_is_not()
    {
        var node = Start(seed: null);
        await WaitForUpAsync(node, 1);
        var (dialogRegion, dialogs) = Collector(node, "dialog-region");
        var (commandRegion, commands) = Collector(node, "command-region");
        await StartedAsync(node.ActorOf(HandOffRedelivery.Props(commandRegion, dialogRegion), "handoff-redelivery"));
        var (asker, _) = Collector(node, "asker");
        // Stand-ins at the paths sharding gives a shard (/system/sharding/dialog/7) and an entity in it, stopped.
        var system = (ExtendedActorSystem)node;
        var shard = new EmptyLocalActorRef(system.Provider, new RootActorPath(Cluster.Get(node).SelfAddress) / "system" / "sharding" / ShardRegions.Dialog / "7", node.EventStream);
        var entity = new EmptyLocalActorRef(system.Provider, shard.Path / "call-9", node.EventStream);
        var command = new EmptyLocalActorRef(system.Provider, new RootActorPath(Cluster.Get(node).SelfAddress) / "system" / "sharding" / ShardRegions.Command / "3" / "cmd-9", node.EventStream);
        var inMailbox = new CallTransferEvent("call-9", "caller", "new-call", "sip:c@127.0.0.1", "start", null);
        var atShard = new CallHoldEvent("call-9", "callee", "hold", "ok");
        var refusedByEntity = new DialogEventNotice("cmd-9", atShard);
        var marker = new CallHoldEvent("call-10", "callee", "unhold", "ok");

        node.EventStream.Publish(new DeadLetter(inMailbox, asker, entity));
        node.EventStream.Publish(new UnhandledMessage(atShard, asker, shard));
        node.EventStream.Publish(new UnhandledMessage(refusedByEntity, asker, command));
        node.EventStream.Publish(new DeadLetter(marker, asker, entity));

        Assert.Equal((inMailbox, asker), await dialogs.ReadAsync().AsTask().WaitAsync(Bound));
        Assert.Equal((atShard, asker), await dialogs.ReadAsync().AsTask().WaitAsync(Bound));
        Assert.Equal((marker, asker), await dialogs.ReadAsync().AsTask().WaitAsync(Bound));
        Assert.False(commands.TryRead(out var refused), "an entity's own refusal was sent again: " + refused.Message);
    }

    [Fact]
    public async Task A_start_that_reached_a_stopped_command_in_its_shell_is_sent_again_no_longer_marked_new()
    {
        var node = Start(seed: null);
        await WaitForUpAsync(node, 1);
        var (dialogRegion, _) = Collector(node, "dialog-region");
        var (commandRegion, commands) = Collector(node, "command-region");
        await StartedAsync(node.ActorOf(HandOffRedelivery.Props(commandRegion, dialogRegion), "handoff-redelivery"));
        var (gateway, _) = Collector(node, "gateway-connection");
        // The command inside its entity shell: /system/sharding/command/SHARD/CMDID/command (CommandEntityShell).
        var system = (ExtendedActorSystem)node;
        var command = new EmptyLocalActorRef(system.Provider,
            new RootActorPath(Cluster.Get(node).SelfAddress) / "system" / "sharding" / ShardRegions.Command / "4" / "cmd-12" / "command",
            node.EventStream);
        var start = new StartCommand("cmd-12", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "x" }, gateway)
        {
            FreshCmdId = true,
        };

        node.EventStream.Publish(new DeadLetter(start, gateway, command));

        var (again, sender) = await commands.ReadAsync().AsTask().WaitAsync(Bound);
        var resent = Assert.IsType<StartCommand>(again);
        Assert.Equal(gateway, sender);
        Assert.Equal(start with { FreshCmdId = false }, resent);
    }

    [Fact]
    public async Task An_equal_message_is_sent_again_at_most_three_times_in_its_window()
    {
        var node = Start(seed: null);
        await WaitForUpAsync(node, 1);
        var (dialogRegion, dialogs) = Collector(node, "dialog-region");
        await StartedAsync(node.ActorOf(HandOffRedelivery.Props(ActorRefs.Nobody, dialogRegion), "handoff-redelivery"));
        var circling = new CallHoldEvent("call-11", "caller", "hold", "start");
        var marker = circling with { CallId = "call-12" };

        for (var i = 0; i < HandOffRedelivery.MaxSends + 2; i++)
        {
            node.DeadLetters.Tell(new Dropped(circling, HandOffRedelivery.HandOffDropReason, ActorRefs.NoSender, ActorRefs.NoSender));
        }

        node.DeadLetters.Tell(new Dropped(marker, HandOffRedelivery.HandOffDropReason, ActorRefs.NoSender, ActorRefs.NoSender));
        var received = new List<object>();
        while (received.LastOrDefault() is not CallHoldEvent { CallId: "call-12" })
        {
            received.Add((await dialogs.ReadAsync().AsTask().WaitAsync(Bound)).Message);
        }

        Assert.Equal(HandOffRedelivery.MaxSends, received.Count(m => Equals(m, circling)));
    }

    [Fact]
    public async Task The_last_call_node_stopping_drops_a_dialogs_hand_over_instead_of_buffering_it_in_its_own_region()
    {
        var node = Start(seed: null);
        await WaitForUpAsync(node, 1);
        var (localDialogRegion, local) = Collector(node, "dialog-region");
        var dialogWhileRunning = node.ActorOf(DialogEntity.Props(ActorRefs.Nobody, new DialogSettings(TimeSpan.FromSeconds(30)),
            dialogRegion: localDialogRegion), "call-running");
        await dialogWhileRunning.Ask<DialogAttached>(new AttachCommand("call-running", "cmd-1", DialogOperation.Observe), Bound);

        // While the node runs, a moving shard's dialog hands over through its own region (the shard gets a new home here).
        dialogWhileRunning.Tell(DialogHandOff.Instance);
        var handedOver = (await local.ReadAsync().AsTask().WaitAsync(Bound)).Message;
        Assert.Equal("call-running", Assert.IsType<DialogWatchersHandedOver>(handedOver).CallId);

        // Stopping, with no other call node: nothing would ever take it, so it is not sent at all.
        var (release, shutdownDone) = await HoldShutdownInHandOffPhaseAsync(node);
        var dialogWhileStopping = node.ActorOf(DialogEntity.Props(ActorRefs.Nobody, new DialogSettings(TimeSpan.FromSeconds(30)),
            dialogRegion: localDialogRegion), "call-stopping");
        await dialogWhileStopping.Ask<DialogAttached>(new AttachCommand("call-stopping", "cmd-2", DialogOperation.Observe), Bound);
        dialogWhileStopping.Tell(DialogHandOff.Instance);
        await dialogWhileStopping.WatchAsync().WaitAsync(Bound);

        // The marker goes after the hand-off through the same region: it arriving first proves the hand-off was not sent.
        localDialogRegion.Tell("marker");
        Assert.Equal("marker", (await local.ReadAsync().AsTask().WaitAsync(Bound)).Message);
        release.TrySetResult();
        await shutdownDone.WaitAsync(Bound);
    }

    [Fact]
    public async Task A_node_shutting_down_sends_drops_its_EVI_events_and_its_dialogs_hand_over_to_the_dialog_region_of_another_call_node()
    {
        // The other call node first: it is the oldest, so it hosts the dialog region's coordinator.
        var survivor = Start(seed: null);
        await WaitForUpAsync(survivor, 1);
        var received = Channel.CreateUnbounded<object>();
        await ClusterSharding.Get(survivor).StartAsync(ShardRegions.Dialog, _ => Props.Create(() => new RecordingEntity(received.Writer)),
            ClusterShardingSettings.Create(survivor).WithRole(ShardRegions.CallNodeRole), new DialogMessageExtractor(10));
        var leaving = Start(seed: Cluster.Get(survivor).SelfAddress);
        await WaitForUpAsync(survivor, 2);
        await WaitForUpAsync(leaving, 2);
        var (localDialogRegion, local) = Collector(leaving, "dialog-region");
        await StartedAsync(leaving.ActorOf(HandOffRedelivery.Props(ActorRefs.Nobody, localDialogRegion), "handoff-redelivery"));
        var router = leaving.ActorOf(EviRouter.Props(localDialogRegion), "evi-router");
        await StartedAsync(router);

        // Hold the leaving node's shutdown in the phase where sharding hands its shards off, the moment drops happen.
        var (release, shutdownDone) = await HoldShutdownInHandOffPhaseAsync(leaving);

        var dropped = new CallTransferEvent("call-moving", "caller", "new-call", "sip:c@127.0.0.1", "start", null);
        var routed = new DialogStateChanged("call-routed", "1:2", null, "ft", "tt", 3, 4);
        leaving.DeadLetters.Tell(new Dropped(dropped, HandOffRedelivery.HandOffDropReason, ActorRefs.NoSender, ActorRefs.NoSender));
        router.Tell(routed);
        // A dialog stopped by the hand-off gives its watchers to its next incarnation (HandOverRoute): the leaving node's
        // own region would buffer them until it stops, so they go to the other node's region.
        var dialog = leaving.ActorOf(DialogEntity.Props(ActorRefs.Nobody, new DialogSettings(TimeSpan.FromSeconds(30)),
            dialogRegion: localDialogRegion), "call-handed");
        await dialog.Ask<DialogAttached>(new AttachCommand("call-handed", "cmd-staying", DialogOperation.Observe), Bound);
        dialog.Tell(DialogHandOff.Instance);

        var atSurvivor = new List<object>();
        while (atSurvivor.Count < 3)
        {
            atSurvivor.Add(await received.Reader.ReadAsync().AsTask().WaitAsync(Bound));
        }

        Assert.Contains(dropped, atSurvivor);
        Assert.Contains(routed, atSurvivor);
        var watchers = Assert.Single(atSurvivor.OfType<DialogWatchersHandedOver>());
        Assert.Equal(("call-handed", "cmd-staying"), (watchers.CallId, Assert.Single(watchers.Watchers.Keys)));
        Assert.False(local.TryRead(out var kept), "the leaving node's own region got " + kept.Message);
        release.TrySetResult();
        await shutdownDone.WaitAsync(Bound);
    }

    private ActorSystem Start(Address? seed)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = INFO
            akka.actor.provider = cluster
            akka.actor.serializers.callcluster = "CallCluster.Contracts.Serialization.MessagePackAkkaSerializer, CallCluster.Contracts"
            akka.actor.serialization-bindings { "CallCluster.Contracts.ICallClusterMessage, CallCluster.Contracts" = callcluster }
            akka.actor.serialization-identifiers { "CallCluster.Contracts.Serialization.MessagePackAkkaSerializer, CallCluster.Contracts" = 8721 }
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.cluster.roles = ["{{ShardRegions.CallNodeRole}}"]
            akka.coordinated-shutdown.run-by-actor-system-terminate = on
            akka.coordinated-shutdown.terminate-actor-system = on
            """).WithFallback(EntityTestConfig.DialogMailbox);
        var system = ActorSystem.Create("handoff", config);
        _systems.Add(system);
        var cluster = Cluster.Get(system);
        cluster.Join(seed ?? cluster.SelfAddress);
        return system;
    }

    /// <summary>An actor standing for a region: what it receives, with its sender, goes to the returned channel.</summary>
    private static (IActorRef Ref, ChannelReader<(object Message, IActorRef Sender)> Received) Collector(ActorSystem system, string name)
    {
        var channel = Channel.CreateUnbounded<(object, IActorRef)>();
        return (system.ActorOf(Props.Create(() => new CollectingActor(channel.Writer)), name), channel.Reader);
    }

    /// <summary>Starts <paramref name="system"/>'s coordinated shutdown and holds it in the phase where sharding hands its
    /// shards off (the moment drops and hand-overs happen) until <c>Release</c> is set; <c>Done</c> ends with the shutdown.</summary>
    private static async Task<(TaskCompletionSource Release, Task Done)> HoldShutdownInHandOffPhaseAsync(ActorSystem system)
    {
        var inHandOffPhase = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseClusterShardingShutdownRegion, "test-hold", async () =>
        {
            inHandOffPhase.TrySetResult();
            await release.Task;
            return Akka.Done.Instance;
        });
        var done = shutdown.Run(CoordinatedShutdown.ClrExitReason.Instance);
        await inHandOffPhase.Task.WaitAsync(Bound);
        return (release, done);
    }

    /// <summary>The actor subscribes to dead letters in its PreStart, and a drop told before that would be missed. An
    /// actor answers its first Identify only after PreStart has run.</summary>
    private static Task<ActorIdentity> StartedAsync(IActorRef actor) => actor.Ask<ActorIdentity>(new Identify(actor.Path.Name), Bound);

    private static async Task WaitForUpAsync(ActorSystem system, int members)
    {
        var until = DateTime.UtcNow + Bound;
        while (Cluster.Get(system).State.Members.Count(m => m.Status == MemberStatus.Up) < members)
        {
            Assert.True(DateTime.UtcNow < until, $"{members} members were not Up within {Bound.TotalSeconds} s");
            await Task.Delay(50);
        }
    }

    private sealed class CollectingActor : ReceiveActor
    {
        public CollectingActor(ChannelWriter<(object, IActorRef)> received) => ReceiveAny(m => received.TryWrite((m, Sender)));
    }

    private sealed class RecordingEntity : ReceiveActor
    {
        public RecordingEntity(ChannelWriter<object> received) => ReceiveAny(m => received.TryWrite(m));
    }
}
