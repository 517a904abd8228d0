using Akka.Actor;

namespace CallCluster.Node.OpenSips;

/// <summary>The MI pool's lane for requests no client waits on: at most <c>maxInFlight</c> of them at the proxy at a
/// time, the rest waiting here in order. Callers use it exactly like the pool (Tell an <see cref="MiCall"/>, get one
/// <see cref="MiOutcome"/> with their tag back).
///
/// Why: OpenSIPS answers MI requests one at a time, in the order they arrive. A burst of new calls makes every new
/// dialog ask <c>dlg_list</c> for its parties (call events name them, and E_DLG_STATE_CHANGED does not); sent straight
/// to the pool, 20,000 of them queued at the proxy ahead of the <c>dlg_end_dlg</c> of every CallEnd sent meanwhile, which
/// waited up to a second for them (bench/README.md, "cold start"). Through this lane a command's request waits behind
/// at most <c>maxInFlight</c> lookups. Beyond <c>maxWaiting</c> a request is answered <see cref="MiOverloaded"/> at once.</summary>
public sealed class MiBackgroundLane : ReceiveActor
{
    private readonly IActorRef _miPool;
    private readonly int _maxInFlight;
    private readonly int _maxWaiting;
    private readonly Queue<(MiCall Call, IActorRef ReplyTo)> _waiting = new();
    private int _inFlight;

    public MiBackgroundLane(IActorRef miPool, int maxInFlight, int maxWaiting)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxWaiting);
        _miPool = miPool;
        _maxInFlight = maxInFlight;
        _maxWaiting = maxWaiting;
        Receive<MiCall>(OnCall);
        Receive<MiOutcome>(outcome => outcome.Tag is Ticket, OnOutcome);
    }

    public static Props Props(IActorRef miPool, int maxInFlight, int maxWaiting) =>
        Akka.Actor.Props.Create(() => new MiBackgroundLane(miPool, maxInFlight, maxWaiting));

    private void OnCall(MiCall call)
    {
        if (_inFlight >= _maxInFlight && _waiting.Count >= _maxWaiting)
        {
            Sender.Tell(new MiOverloaded(call.Tag, call.Method));
            return;
        }

        _waiting.Enqueue((call, Sender));
        SendWhileRoom();
    }

    private void OnOutcome(MiOutcome outcome)
    {
        var ticket = (Ticket)outcome.Tag!;
        _inFlight--;
        ticket.ReplyTo.Tell(outcome with { Tag = ticket.Tag });
        SendWhileRoom();
    }

    private void SendWhileRoom()
    {
        while (_inFlight < _maxInFlight && _waiting.TryDequeue(out var next))
        {
            _inFlight++;
            _miPool.Tell(next.Call with { Tag = new Ticket(next.ReplyTo, next.Call.Tag) });
        }
    }

    /// <summary>Rides in the request's tag to the pool and back: who asked, and the tag they gave.</summary>
    private sealed record Ticket(IActorRef ReplyTo, object? Tag);
}
