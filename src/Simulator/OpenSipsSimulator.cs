using System.Net;
using Akka.Actor;
using Akka.Event;
using CallCluster.Simulator.Dialogs;
using CallCluster.Simulator.Evi;
using CallCluster.Simulator.Faults;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator;

/// <summary>
/// The OpenSIPS simulator (sandbox mode): an MI endpoint that behaves like OpenSIPS 4.0.1 with dialog, tm and callops,
/// with simulated phones behind it. Runs in its own ActorSystem or inside a host's.
/// </summary>
public sealed class OpenSipsSimulator : IAsyncDisposable
{
    private static int _instances;
    private readonly ActorSystem _system;
    private readonly bool _ownsSystem;
    private readonly MiServer _server;
    private readonly IActorRef[] _actors;
    private readonly IActorRef _proxy;
    private readonly SimulatorOptions _options;
    private int _disposed;

    private OpenSipsSimulator(ActorSystem system, bool ownsSystem, MiServer server, IPEndPoint endPoint, IActorRef proxy, IActorRef[] actors, SimulatorOptions options)
    {
        _system = system;
        _ownsSystem = ownsSystem;
        _server = server;
        MiEndPoint = endPoint;
        _proxy = proxy;
        _actors = actors;
        _options = options;
    }

    /// <summary>The MI address (mi_datagram socket) clients send JSON-RPC datagrams to.</summary>
    public IPEndPoint MiEndPoint { get; }

    public static Task<OpenSipsSimulator> StartAsync(SimulatorOptions options, ActorSystem? hostSystem = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ct.ThrowIfCancellationRequested();
        var system = hostSystem ?? ActorSystem.Create("opensips-simulator", "akka.loglevel = INFO\nakka.stdout-loglevel = WARNING");
        var n = Interlocked.Increment(ref _instances);
        var socket = MiServer.Bind(options.BindAddress, options.MiPort);
        try
        {
            var faults = options.FaultsEnabled
                ? system.ActorOf(FaultActor.Props(options.FaultDropShare, options.FaultReorderShare, options.FaultSeed), $"opensips-sim-{n}-faults")
                : null;
            var outbound = new Outbound(faults);
            var replier = new MiReplier(socket, outbound);
            var bus = system.ActorOf(EventBusActor.Props(replier, outbound, options.EventSocketPool), $"opensips-sim-{n}-evi");
            var proxy = system.ActorOf(ProxyActor.Props(options, bus, replier), $"opensips-sim-{n}-proxy");
            var log = Logging.GetLogger(system, "OpenSipsSimulator");
            var server = new MiServer(socket, replier, options.Compat3x, bus, proxy, log);
            server.Start();
            var actors = faults is null ? new[] { bus, proxy } : new[] { bus, proxy, faults };
            return Task.FromResult(new OpenSipsSimulator(system, hostSystem is null, server, (IPEndPoint)socket.LocalEndPoint!, proxy, actors, options));
        }
        catch
        {
            socket.Dispose();
            if (hostSystem is null) system.Dispose();
            throw;
        }
    }

    /// <summary>Same as MI sim_call: a phone calls another through the proxy. Completes with the Call-ID once the dialog is confirmed (state 4 reported).</summary>
    public async Task<string> PlaceCallAsync(string fromUri, string toUri, CancellationToken ct = default)
    {
        var limit = _options.AnswerDelay + _options.SlowAnswerDelay + _options.TransactionTimeout + TimeSpan.FromSeconds(5);
        var answer = await _proxy.Ask<object>(new PlaceCall(fromUri, toUri), limit, ct).ConfigureAwait(false);
        return answer switch
        {
            CallConfirmed c => c.CallId,
            CallFailed f => throw new InvalidOperationException($"call {f.CallId} from {fromUri} to {toUri} failed: {f.Status}"),
            Status.Failure s => throw s.Cause,
            _ => throw new InvalidOperationException("unexpected answer " + answer),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _server.Dispose();
        if (_ownsSystem)
        {
            await _system.Terminate().ConfigureAwait(false);
        }
        else
        {
            foreach (var a in _actors) _system.Stop(a);
        }
    }
}
