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
/// A producer that has swapped itself in as the head but not yet linked its node hides the nodes behind it for a moment:
/// <see cref="HasMessages"/> and the consumer may then see an empty queue. That loses no message: Akka's dispatcher
/// schedules the actor after every enqueue, so the producer that links last wakes the actor for all of them.</summary>
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

    public bool HasMessages => Volatile.Read(ref Volatile.Read(ref _tail).Next) is not null;

    /// <summary>Walks the queue (Akka asks only for diagnostics and routing metrics, never on the message path).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            for (var node = Volatile.Read(ref Volatile.Read(ref _tail).Next); node is not null; node = Volatile.Read(ref node.Next))
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
        var next = Volatile.Read(ref tail.Next);
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
