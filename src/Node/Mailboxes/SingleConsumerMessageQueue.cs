using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace CallCluster.Node.Mailboxes;

/// <summary>An unbounded message queue for actors of which a node keeps very many, mostly idle (the dialog entities):
/// empty, it costs two small objects (about 70 bytes) where Akka's default <see cref="UnboundedMessageQueue"/> holds a
/// <see cref="System.Collections.Concurrent.ConcurrentQueue{T}"/> whose first segment of 32 slots is allocated up
/// front (about 850 bytes, half of what a bare actor costs). The price is one small node per message in flight.
///
/// Dmitry Vyukov's intrusive multi-producer single-consumer queue, the algorithm of Akka's (JVM)
/// <c>SingleConsumerOnlyUnboundedMailbox</c>, which Akka.NET does not ship. Any thread may enqueue; only the mailbox
/// dequeues, and Akka runs an actor's mailbox on one thread at a time, which is the one rule this queue needs.
///
/// A message is in the queue from the moment its producer swaps the head (an interlocked exchange, so a full fence),
/// one instruction before it links its node to the previous one. <see cref="HasMessages"/> therefore compares head and
/// tail, and <see cref="TryDequeue"/> waits for the link when the head has moved but the link is not there yet, as JVM
/// Akka's <c>AbstractNodeQueue</c> does. Reporting such a queue as empty could lose a wake-up: the producer, having seen
/// the actor's mailbox still scheduled, would not schedule it, and the mailbox, seeing nothing, would go idle.</summary>
public sealed class SingleConsumerMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    /// <summary>The node last enqueued; producers swap it.</summary>
    private Node _head;

    /// <summary>The node last dequeued (its envelope already taken): the queue holds what follows it. Written by the
    /// consumer only.</summary>
    private Node _tail;

    public SingleConsumerMessageQueue()
    {
        var stub = new Node(default);
        _head = stub;
        _tail = stub;
    }

    public bool HasMessages => !ReferenceEquals(Volatile.Read(ref _head), Volatile.Read(ref _tail));

    /// <summary>Walks the queue (Akka asks only for diagnostics and routing metrics, never on the message path).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            for (var node = NextOf(Volatile.Read(ref _tail)); node is not null; node = NextOf(node))
            {
                count++;
            }

            return count;
        }
    }

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        var node = new Node(envelope);
        var previous = Interlocked.Exchange(ref _head, node);
        Volatile.Write(ref previous.Next, node);
    }

    public bool TryDequeue(out Envelope envelope)
    {
        var tail = _tail;
        var next = NextOf(tail);
        if (next is null)
        {
            envelope = default;
            return false;
        }

        envelope = next.Envelope;
        // The node becomes the new stub: drop its message so the queue does not keep it alive.
        next.Envelope = default;
        Volatile.Write(ref _tail, next);
        return true;
    }

    /// <summary>The node after <paramref name="node"/>; null only when no producer has swapped in after it. A producer
    /// between its swap and its link is one instruction away from linking (unless the OS preempts it), so this spins.</summary>
    private Node? NextOf(Node node)
    {
        var next = Volatile.Read(ref node.Next);
        if (next is null && !ReferenceEquals(Volatile.Read(ref _head), node))
        {
            var spin = new SpinWait();
            while ((next = Volatile.Read(ref node.Next)) is null)
            {
                spin.SpinOnce();
            }
        }

        return next;
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }

    private sealed class Node(Envelope envelope)
    {
        public Envelope Envelope = envelope;
        public Node? Next;
    }
}
