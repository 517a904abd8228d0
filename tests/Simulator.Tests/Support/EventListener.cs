using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CallCluster.Simulator.Tests.Support;

/// <summary>One received EVI datagram.</summary>
public sealed record ReceivedEvent(string Raw, JsonObject Json, int SourcePort)
{
    public string Method => (string)Json["method"]!;
    public JsonObject Params => (JsonObject)Json["params"]!;
    public string? P(string name) => Params[name]?.ToString();
    public override string ToString() => Raw;
}

/// <summary>A real UDP event listener (the subscriber side of event_datagram).</summary>
public sealed class EventListener : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Channel<ReceivedEvent> _channel = Channel.CreateUnbounded<ReceivedEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public EventListener()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(Loop);
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;
    public string SocketText => $"udp:127.0.0.1:{Port}";
    public List<ReceivedEvent> Seen { get; } = [];

    private async Task Loop()
    {
        var buffer = new byte[70000];
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                var raw = Encoding.UTF8.GetString(buffer, 0, r.ReceivedBytes);
                _channel.Writer.TryWrite(new ReceivedEvent(raw, (JsonObject)JsonNode.Parse(raw)!, ((IPEndPoint)r.RemoteEndPoint).Port));
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) { }
        }
    }

    /// <summary>Next event, or null after the timeout.</summary>
    public async Task<ReceivedEvent?> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var e = await _channel.Reader.ReadAsync(cts.Token);
            Seen.Add(e);
            return e;
        }
        catch (OperationCanceledException) { return null; }
    }

    /// <summary>Collects exactly n events (bounded wait); fails with what arrived so far.</summary>
    public async Task<List<ReceivedEvent>> TakeAsync(int n, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        var list = new List<ReceivedEvent>();
        while (list.Count < n)
        {
            var left = deadline - DateTime.UtcNow;
            var e = left > TimeSpan.Zero ? await NextAsync(left) : null;
            if (e is null) throw new TimeoutException($"got {list.Count} of {n} events: {string.Join("\n", list)}");
            list.Add(e);
        }
        return list;
    }

    /// <summary>Waits (bounded) for the first event matching the predicate; earlier ones are returned in <paramref name="before"/>.</summary>
    public async Task<ReceivedEvent> WaitForAsync(Func<ReceivedEvent, bool> match, TimeSpan? timeout = null, List<ReceivedEvent>? before = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        for (var guard = 0; guard < 100_000; guard++)
        {
            var left = deadline - DateTime.UtcNow;
            var e = left > TimeSpan.Zero ? await NextAsync(left) : null;
            if (e is null) break;
            if (match(e)) return e;
            before?.Add(e);
        }
        throw new TimeoutException("expected event did not arrive");
    }

    /// <summary>True when no event arrives within the window (used only to assert absence).</summary>
    public async Task<bool> QuietAsync(TimeSpan window) => await NextAsync(window) is null;

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
