namespace CallCluster.Node.Webhooks;

/// <summary>The endpoint's deliveries between reading and done, in memory (the journal holds only the committed
/// offset): which may start now, under two rules. Per call, in order: only the oldest undelivered event of a call may
/// be in flight or waiting for a retry, the next waits for it. Per endpoint: at most the concurrency limit in flight.
/// Mutable on purpose and owned by one actor: thousands of deliveries change state per second.</summary>
public sealed class WebhookDeliveries
{
    private readonly SortedDictionary<long, Delivery> _pending = new();
    private readonly Dictionary<string, Queue<long>> _byCall = new(StringComparer.Ordinal);
    private readonly Queue<long> _ready = new();

    public int Pending => _pending.Count;

    public int InFlight { get; private set; }

    /// <summary>Everything at or before this offset is done, given that <paramref name="readUpTo"/> was read.</summary>
    public long DoneUpTo(long readUpTo) => _pending.Count > 0 ? _pending.First().Key - 1 : readUpTo;

    public void Add(Delivery delivery)
    {
        var offset = delivery.Stored.Offset;
        _pending.Add(offset, delivery);
        var callId = delivery.Stored.Event.CallId;
        if (!_byCall.TryGetValue(callId, out var queue))
        {
            queue = new Queue<long>(2);
            _byCall.Add(callId, queue);
        }

        queue.Enqueue(offset);
        if (queue.Count == 1)
        {
            _ready.Enqueue(offset);
        }
    }

    /// <summary>The next delivery allowed to start, marked in flight; null when none is or the limit is reached.</summary>
    public Delivery? Start(int concurrency)
    {
        if (InFlight >= concurrency || !_ready.TryDequeue(out var offset))
        {
            return null;
        }

        InFlight++;
        return _pending[offset];
    }

    /// <summary>A 2xx or a dead letter: done; the call's next event may start.</summary>
    public void Done(Delivery delivery)
    {
        InFlight--;
        var offset = delivery.Stored.Offset;
        _pending.Remove(offset);
        var callId = delivery.Stored.Event.CallId;
        var queue = _byCall[callId];
        queue.Dequeue();
        if (queue.Count == 0)
        {
            _byCall.Remove(callId);
        }
        else
        {
            _ready.Enqueue(queue.Peek());
        }
    }

    /// <summary>A failed attempt: out of flight, it keeps its call's place until <see cref="RetryDue"/>.</summary>
    public void Failed() => InFlight--;

    public void RetryDue(Delivery delivery) => _ready.Enqueue(delivery.Stored.Offset);

    public bool TryGet(long offset, out Delivery delivery) => _pending.TryGetValue(offset, out delivery!);
}
