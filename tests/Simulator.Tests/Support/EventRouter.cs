using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CallCluster.Simulator.Tests.Support;

/// <summary>The events of one flow (its Call-ID plus the Call-IDs its transfers create), in arrival order.</summary>
public sealed class FlowInbox
{
    private readonly Channel<ReceivedEvent> _channel = Channel.CreateUnbounded<ReceivedEvent>();
    private readonly List<ReceivedEvent> _seen = [];

    internal void Post(ReceivedEvent e) => _channel.Writer.TryWrite(e);

    public IReadOnlyList<ReceivedEvent> Seen => _seen;

    /// <summary>First event (already seen or still to come) matching the predicate; TimeoutException after the bound.</summary>
    public async Task<ReceivedEvent> WaitForAsync(Func<ReceivedEvent, bool> match, TimeSpan timeout)
    {
        foreach (var e in _seen) if (match(e)) return e;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var e = await _channel.Reader.ReadAsync(cts.Token);
                _seen.Add(e);
                if (match(e)) return e;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("expected event did not arrive; seen: " + string.Join(" | ", _seen));
        }
    }
}

/// <summary>
/// An event listener for many concurrent flows: routes each datagram to the inbox of its Call-ID. A transfer event of a
/// routed call also routes its transfer_callid there, so the new dialog's events land in the same flow.
/// </summary>
public sealed class EventRouter : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly ConcurrentDictionary<string, FlowInbox> _routes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public EventRouter()
    {
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(Loop);
    }

    public string SocketText => $"udp:127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}";
    public int Received;
    /// <summary>Events whose Call-ID no flow had open (would mean a stray or leaked dialog).</summary>
    public int Unrouted;
    public int OpenRoutes => _routes.Count;

    public FlowInbox Open(string callId)
    {
        var inbox = new FlowInbox();
        _routes[callId] = inbox;
        return inbox;
    }

    public void Close(params string[] callIds)
    {
        foreach (var c in callIds) _routes.TryRemove(c, out _);
    }

    private async Task Loop()
    {
        var buffer = new byte[70000];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try { r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token); }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) { continue; }
            Interlocked.Increment(ref Received);
            var raw = Encoding.UTF8.GetString(buffer, 0, r.ReceivedBytes);
            var e = new ReceivedEvent(raw, (JsonObject)JsonNode.Parse(raw)!, ((IPEndPoint)r.RemoteEndPoint).Port);
            if (e.P("callid") is { } callId && _routes.TryGetValue(callId, out var inbox))
            {
                if (e.Method == "E_CALL_TRANSFER" && e.P("transfer_callid") is { } t) _routes.TryAdd(t, inbox);
                inbox.Post(e);
            }
            else Interlocked.Increment(ref Unrouted);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
