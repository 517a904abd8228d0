using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Dialogs;
using CallCluster.Node.Mailboxes;
using CallCluster.Node.Tests.Entities;

namespace CallCluster.Node.Tests.Mailboxes;

/// <summary>The dialog entities' mailbox queue (src/Node/Mailboxes): every message delivered once, in each sender's
/// order, under concurrent producers; leftovers go to dead letters; an empty queue is small, which is why it exists; the dialogs run on it.</summary>
public sealed class SingleConsumerMessageQueueTests : Akka.TestKit.Xunit2.TestKit
{
    public SingleConsumerMessageQueueTests() : base(EntityTestConfig.Config)
    {
    }

    [Fact(Timeout = 60_000)]
    public async Task Concurrent_producers_and_one_consumer_deliver_every_message_once_in_each_producers_order()
    {
        const int producers = 4;
        const int perProducer = 100_000;
        var queue = new SingleConsumerMessageQueue();
        var start = new Barrier(producers + 1);
        var producing = Enumerable.Range(0, producers).Select(p => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perProducer; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, new Envelope(new Numbered(p, i), ActorRefs.NoSender));
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        var next = new int[producers];
        var received = 0;
        var consuming = Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(45);
            while (received < producers * perProducer && DateTime.UtcNow < until)
            {
                if (!queue.TryDequeue(out var envelope))
                {
                    Thread.SpinWait(20);
                    continue;
                }

                var m = (Numbered)envelope.Message;
                Assert.Equal(next[m.Producer], m.Index);
                next[m.Producer]++;
                received++;
            }
        }, TaskCreationOptions.LongRunning);

        await Task.WhenAll(producing);
        await consuming;

        Assert.Equal(producers * perProducer, received);
        Assert.All(next, n => Assert.Equal(perProducer, n));
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void Count_and_HasMessages_follow_what_is_queued()
    {
        var queue = new SingleConsumerMessageQueue();
        Assert.False(queue.HasMessages);
        for (var i = 0; i < 3; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, new Envelope(i, ActorRefs.NoSender));
        }

        Assert.True(queue.HasMessages);
        Assert.Equal(3, queue.Count);
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal(0, first.Message);
        Assert.Equal(2, queue.Count);
    }

    [Fact]
    public void CleanUp_hands_what_is_left_to_dead_letters_in_order()
    {
        var queue = new SingleConsumerMessageQueue();
        var deadLetters = new UnboundedMessageQueue();
        queue.Enqueue(ActorRefs.Nobody, new Envelope("a", ActorRefs.NoSender));
        queue.Enqueue(ActorRefs.Nobody, new Envelope("b", ActorRefs.NoSender));

        queue.CleanUp(ActorRefs.Nobody, deadLetters);

        Assert.False(queue.HasMessages);
        Assert.True(deadLetters.TryDequeue(out var a));
        Assert.True(deadLetters.TryDequeue(out var b));
        Assert.Equal(("a", "b"), (a.Message, b.Message));
    }

    [Fact]
    public void An_empty_queue_costs_a_tenth_of_Akkas_default()
    {
        // Allocation counted on this thread, not time: what an idle dialog's mailbox keeps alive.
        var ours = AllocatedBy(() => new SingleConsumerMessageQueue());
        var akkas = AllocatedBy(() => new UnboundedMessageQueue());

        Assert.InRange(ours, 1, 128);
        Assert.True(akkas >= 10 * ours, $"Akka's default queue allocated {akkas} B, ours {ours} B");
    }

    [Fact]
    public void A_dialog_entity_runs_on_this_mailbox()
    {
        var dialog = Sys.ActorOf(DialogEntity.Props(ActorRefs.Nobody, new DialogSettings(TimeSpan.FromSeconds(30))), "call-mailbox");

        dialog.Tell(new GetDialog("call-mailbox"));
        Assert.Equal("call-mailbox", ExpectMsg<DialogView>().CallId);
        // Started (it answered), so a top-level actor's placeholder cell has been replaced by the real one.
        var cell = Assert.IsType<ActorCell>(((ActorRefWithCell)dialog).Underlying);
        Assert.IsType<SingleConsumerMessageQueue>(cell.Mailbox?.MessageQueue);
    }

    private static long AllocatedBy(Func<object> create)
    {
        GC.KeepAlive(create()); // jitted before counting
        var before = GC.GetAllocatedBytesForCurrentThread();
        var made = create();
        var after = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(made);
        return after - before;
    }

    private sealed record Numbered(int Producer, int Index);
}
