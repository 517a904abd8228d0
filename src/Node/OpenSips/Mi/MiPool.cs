using Akka.Actor;

namespace CallCluster.Node.OpenSips;

/// <summary>Entry point of the MI client: Tell an <see cref="MiCall"/>, get exactly one <see cref="MiOutcome"/>.</summary>
public static class MiPool
{
    public static Props Props(MiSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return Akka.Actor.Props.Create(() => new MiPoolActor(settings));
    }
}

/// <summary>Spreads calls over the socket actors (least loaded first) and enforces max-in-flight.
/// Holds only counters; each socket actor owns its requests.</summary>
internal sealed class MiPoolActor : ReceiveActor
{
    private readonly MiSettings _settings;
    private readonly IActorRef[] _sockets;
    private readonly int[] _load;
    private readonly MiSocketStats[] _stats;
    private long _inFlight;
    private long _overloaded;
    private int _start;

    public MiPoolActor(MiSettings settings)
    {
        _settings = settings;
        _sockets = new IActorRef[settings.Sockets];
        _load = new int[settings.Sockets];
        _stats = new MiSocketStats[settings.Sockets];
        for (var i = 0; i < settings.Sockets; i++)
        {
            var index = i;
            _sockets[i] = Context.ActorOf(Akka.Actor.Props.Create(() => new MiSocketActor(index, settings)), "socket-" + i);
            _stats[i] = new MiSocketStats(i, 0, 0, 0, 0, 0);
        }
        Receive<MiCall>(OnCall);
        Receive<MiSocketCompleted>(c =>
        {
            if (_load[c.Index] <= 0) return;
            _load[c.Index]--;
            _inFlight--;
        });
        Receive<MiSocketReset>(r =>
        {
            _inFlight -= _load[r.Index];
            _load[r.Index] = 0;
        });
        Receive<MiSocketStats>(s => _stats[s.Index] = s);
        Receive<GetMiStats>(_ => Sender.Tell(Stats()));
    }

    private void OnCall(MiCall call)
    {
        // Checked here too so a method-less request never even reaches a socket (it crashes OpenSIPS 4.0.1).
        if (string.IsNullOrWhiteSpace(call.Method))
        {
            var refused = new MiFailure(call.Tag, call.Method ?? "", MiFailure.LocalReject, "MI method must be a non-empty string", null);
            MiTracing.Refused(call, refused);
            Sender.Tell(refused);
            return;
        }
        if (_inFlight >= _settings.MaxInFlight)
        {
            _overloaded++;
            var overloaded = new MiOverloaded(call.Tag, call.Method);
            MiTracing.Refused(call, overloaded);
            Sender.Tell(overloaded);
            return;
        }
        var chosen = LeastLoaded();
        _load[chosen]++;
        _inFlight++;
        _sockets[chosen].Forward(call);
    }

    /// <summary>Rotating start so equal loads still spread round-robin.</summary>
    private int LeastLoaded()
    {
        var n = _sockets.Length;
        var best = _start;
        for (var k = 1; k < n; k++)
        {
            var i = (_start + k) % n;
            if (_load[i] < _load[best]) best = i;
        }
        _start = (_start + 1) % n;
        return best;
    }

    private MiStats Stats()
    {
        long sent = 0, replied = 0, timedOut = 0, late = 0, malformed = 0;
        foreach (var s in _stats)
        {
            sent += s.Sent;
            replied += s.Replied;
            timedOut += s.TimedOut;
            late += s.Late;
            malformed += s.Malformed;
        }
        return new MiStats(sent, replied, timedOut, late, malformed, _inFlight) { Overloaded = _overloaded };
    }
}
