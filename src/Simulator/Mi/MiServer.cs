using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using CallCluster.Simulator.Dialogs;
using CallCluster.Simulator.Evi;

namespace CallCluster.Simulator.Mi;

/// <summary>
/// mi_datagram: one UDP socket, one JSON-RPC request per datagram. The receive loop runs on its own thread (never an actor
/// thread), like OpenSIPS's mi_datagram process; it does the stateless work (parsing, JSON-RPC checks, recipe matching,
/// version) itself and Tells the actors the rest.
/// </summary>
public sealed class MiServer : IDisposable
{
    /// <summary>Receive buffer: a larger datagram is cut off, which then gives the parse error, as in OpenSIPS.</summary>
    private const int BufferSize = MiReplyWriter.MaxDatagram;

    private static readonly MiResult VersionResult = MiResult.Ok(w =>
    {
        w.WriteStartObject();
        w.WriteString("Server", SipMessages.OpenSipsServer);
        w.WriteEndObject();
    });

    private readonly Socket _socket;
    private readonly MiReplier _replier;
    private readonly FrozenDictionary<string, MiCommand> _commands;
    private readonly bool _compat3x;
    private readonly IActorRef _bus;
    private readonly IActorRef _proxy;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _loop;

    public MiServer(Socket socket, MiReplier replier, bool compat3x, IActorRef bus, IActorRef proxy, ILoggingAdapter log)
    {
        _socket = socket;
        _replier = replier;
        _commands = MiCommands.Build(compat3x);
        _compat3x = compat3x;
        _bus = bus;
        _proxy = proxy;
        _log = log;
    }

    public static Socket Bind(IPAddress address, int port)
    {
        var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.ReceiveBufferSize = 4 * 1024 * 1024;
        s.Bind(new IPEndPoint(address, port));
        return s;
    }

    /// <summary>
    /// A dedicated thread blocked in recvfrom: unlike an async receive it costs no thread-pool hop per datagram, which
    /// mattered at tens of thousands of requests per second on two cores. Disposing the socket ends it.
    /// </summary>
    public void Start()
    {
        _loop = new Thread(ReceiveLoop) { IsBackground = true, Name = "mi_datagram" };
        _loop.Start();
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[BufferSize];
        var any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            EndPoint remote = any;
            try
            {
                n = _socket.ReceiveFrom(buffer, SocketFlags.None, ref remote);
            }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) when (_stop.IsCancellationRequested) { break; }
            catch (SocketException) { continue; }
            try
            {
                Handle(buffer.AsSpan(0, n), remote);
            }
            catch (Exception ex)
            {
                // The real server would crash; the simulator keeps serving and says why loudly.
                _log.Error(ex, "MI request handling failed");
            }
        }
    }

    /// <summary>Handles one datagram. Public so the dispatch rules can be exercised without a socket.</summary>
    public void Handle(ReadOnlySpan<byte> datagram, EndPoint remote)
    {
        var req = MiRequestParser.Parse(datagram);
        if (req is null)
        {
            _replier.Reply(new MiReplyTarget(remote, MiId.Null), MiResult.ParseError);
            return;
        }
        if (req.IdBadType)
        {
            _replier.Reply(new MiReplyTarget(remote, MiId.Null), MiResult.InvalidRequest);
            return;
        }
        var target = new MiReplyTarget(remote, req.Id);
        if (req.JsonRpc != "2.0" || req.ParamsBadType)
        {
            _replier.Reply(target, MiResult.InvalidRequest);
            return;
        }
        if (!req.MethodPresent)
        {
            // OpenSIPS 4.0.1's mi_datagram segfaults on this (capture x_crash_no_method) and the whole server goes down.
            // The simulator stays up, drops the request and warns: a client that sends this would kill a real OpenSIPS.
            _log.Warning("MI request from {0} has no string 'method': a real OpenSIPS 4.0.1 CRASHES on this; dropped without reply", remote);
            return;
        }
        if (!_commands.TryGetValue(req.Method!, out var cmd))
        {
            var local = _compat3x ? [] : MiCommands.ByLocalName(_commands.Values, req.Method!);
            if (local.Length > 1)
            {
                _replier.Reply(target, MiResult.Error(-32001, "Method ambiguous", "supported names: " + string.Join(", ", local)));
                return;
            }
            if (local.Length == 0)
            {
                _replier.Reply(target, MiResult.MethodNotFound);
                return;
            }
            cmd = _commands[local[0]];
        }
        var error = RecipeMatcher.Match(cmd, req, out var args);
        if (error is not null)
        {
            _replier.Reply(target, error);
            return;
        }
        switch (cmd.Target)
        {
            case MiTarget.Core:
                _replier.Reply(target, VersionResult);
                break;
            case MiTarget.Evi when cmd.Name == MiCommands.EventSubscribe:
                var invalid = SubscribeValidator.Validate(args, target, out var sub);
                if (invalid is not null) _replier.Reply(target, invalid);
                else _bus.Tell(sub);
                break;
            case MiTarget.Evi:
                _bus.Tell(new EviQuery(cmd.Name, args, target));
                break;
            default:
                _proxy.Tell(new ProxyCommand(cmd.Name, args, target));
                break;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _loop?.Join(TimeSpan.FromSeconds(2));
        _stop.Dispose();
    }
}
