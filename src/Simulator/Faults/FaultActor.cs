using Akka.Actor;

namespace CallCluster.Simulator.Faults;

/// <summary>
/// The fault switch: drops a share of outgoing datagrams and holds back another share until the next one has gone out
/// (a reorder). Deterministic for a given seed, so fault tests repeat.
/// </summary>
public sealed class FaultActor : ReceiveActor, IWithTimers
{
    private sealed record FlushHeld(long Generation);
    private static readonly TimeSpan MaxHold = TimeSpan.FromMilliseconds(200);

    private readonly double _drop;
    private readonly double _reorder;
    private readonly Random _random;
    private OutDatagram? _held;
    private long _generation;

    public ITimerScheduler Timers { get; set; } = null!;

    public FaultActor(double dropShare, double reorderShare, int seed)
    {
        _drop = dropShare;
        _reorder = reorderShare;
        _random = new Random(seed);
        Receive<OutDatagram>(OnDatagram);
        // A held datagram is not kept forever: with no later traffic it goes out late, still "reordered" in time.
        Receive<FlushHeld>(f =>
        {
            if (f.Generation == _generation && _held is { } h)
            {
                _held = null;
                Outbound.SendNow(h.Socket, h.Data, h.To);
            }
        });
    }

    public static Props Props(double drop, double reorder, int seed) => Akka.Actor.Props.Create(() => new FaultActor(drop, reorder, seed));

    private void OnDatagram(OutDatagram d)
    {
        var roll = _random.NextDouble();
        if (roll < _drop) return;
        if (_held is null && roll < _drop + _reorder)
        {
            _held = d;
            Timers.StartSingleTimer("flush", new FlushHeld(++_generation), MaxHold);
            return;
        }
        Outbound.SendNow(d.Socket, d.Data, d.To);
        if (_held is { } h)
        {
            _held = null;
            _generation++;
            Outbound.SendNow(h.Socket, h.Data, h.To);
        }
    }
}
