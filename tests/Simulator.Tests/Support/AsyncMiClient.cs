using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CallCluster.Simulator.Tests.Support;

/// <summary>
/// A concurrent MI client for load tests: one UDP socket, one receive loop, replies matched to callers by id.
/// Thread-safe; every call has a timeout, so a lost datagram fails one call instead of hanging the run.
/// </summary>
public sealed class AsyncMiClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _nextId;

    public AsyncMiClient(IPEndPoint server)
    {
        _server = server;
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(Loop);
    }

    /// <summary>Replies that matched no pending call (late, duplicated or non-JSON).</summary>
    public int Unmatched;

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
            var reply = r.ReceivedBytes > 0 && buffer[0] == (byte)'{' ? JsonNode.Parse(buffer.AsSpan(0, r.ReceivedBytes)) as JsonObject : null;
            if (reply?["id"] is JsonValue v && v.TryGetValue<int>(out var id) && _pending.TryRemove(id, out var tcs)) tcs.TrySetResult(reply);
            else Interlocked.Increment(ref Unmatched);
        }
    }

    public async Task<JsonObject> CallAsync(string method, object? parameters, TimeSpan timeout)
    {
        var id = Interlocked.Increment(ref _nextId);
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        var req = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["id"] = id };
        if (parameters is not null) req["params"] = JsonSerializer.SerializeToNode(parameters);
        await _socket.SendToAsync(Encoding.UTF8.GetBytes(req.ToJsonString()), SocketFlags.None, _server);
        try { return await tcs.Task.WaitAsync(timeout); }
        catch (TimeoutException) { _pending.TryRemove(id, out _); throw new TimeoutException($"no reply to {method} id {id} within {timeout}"); }
    }

    /// <summary>The call's result; an MI error becomes an exception.</summary>
    public async Task<JsonNode?> ResultAsync(string method, object? parameters, TimeSpan timeout)
    {
        var r = await CallAsync(method, parameters, timeout);
        if (r["error"] is not null) throw new InvalidOperationException($"{method} failed: {r.ToJsonString()}");
        return r["result"];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
