using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CallCluster.Simulator.Tests.Support;

/// <summary>A test-side MI client: real UDP socket on 127.0.0.1; replies matched by id, unmatched ones kept for later.</summary>
public sealed class MiClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly List<string> _pending = [];
    private int _nextId = 1000;

    public MiClient(IPEndPoint server)
    {
        _server = server;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    public void SendRaw(string raw) => _socket.SendTo(Encoding.UTF8.GetBytes(raw), _server);

    /// <summary>Next datagram from the server (pending ones first); null on timeout.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan timeout)
    {
        if (_pending.Count > 0)
        {
            var p = _pending[0];
            _pending.RemoveAt(0);
            return p;
        }
        var buffer = new byte[70000];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return Encoding.UTF8.GetString(buffer, 0, r.ReceivedBytes);
        }
        catch (OperationCanceledException) { return null; }
    }

    /// <summary>Sends raw text and returns the first datagram that comes back.</summary>
    public async Task<string> RawAsync(string raw, TimeSpan? timeout = null)
    {
        SendRaw(raw);
        return await ReceiveAsync(timeout ?? DefaultTimeout) ?? throw new TimeoutException("no MI reply to " + raw);
    }

    /// <summary>Sends {"jsonrpc":"2.0","method":m,"params":p,"id":N} and waits for the reply with that id.</summary>
    public async Task<JsonObject> CallAsync(string method, object? parameters = null, TimeSpan? timeout = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var req = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["id"] = id };
        if (parameters is not null) req["params"] = JsonSerializer.SerializeToNode(parameters);
        SendRaw(req.ToJsonString());
        return await WaitReplyAsync(id, timeout ?? DefaultTimeout);
    }

    public async Task<JsonObject> WaitReplyAsync(int id, TimeSpan timeout)
    {
        var raw = await WaitAsync(d => d.StartsWith('{') && JsonNode.Parse(d) is JsonObject o && o["id"] is JsonValue v && v.TryGetValue<int>(out var got) && got == id, timeout)
            ?? throw new TimeoutException($"no MI reply with id {id}");
        return (JsonObject)JsonNode.Parse(raw)!;
    }

    /// <summary>First datagram (pending ones first) matching the predicate; others stay pending. Null on timeout.</summary>
    public async Task<string?> WaitAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var skipped = new List<string>();
        try
        {
            for (var guard = 0; guard < 10_000; guard++)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) break;
                var d = _pending.Count > 0 ? Pop() : await ReceiveAsync(left);
                if (d is null) break;
                if (match(d)) return d;
                skipped.Add(d);
            }
        }
        finally
        {
            _pending.InsertRange(0, skipped);
        }
        return null;
    }

    private string Pop()
    {
        var p = _pending[0];
        _pending.RemoveAt(0);
        return p;
    }

    public async Task<JsonNode?> ResultAsync(string method, object? parameters = null, TimeSpan? timeout = null)
    {
        var r = await CallAsync(method, parameters, timeout);
        if (r["error"] is not null) throw new InvalidOperationException($"{method} failed: {r.ToJsonString()}");
        return r["result"];
    }

    public void Dispose() => _socket.Dispose();
}
