using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace CallCluster.TestSupport;

/// <summary>Asks the OpenSIPS simulator (or any MI JSON-RPC peer) over its real MI UDP socket: what the proxy sees, and
/// load (the simulator's soak test). One socket and one receive loop; each reply goes to the call whose id it carries,
/// so calls may run concurrently. Every call has a timeout, so a lost datagram fails one call instead of hanging.</summary>
public sealed class MiTestClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private int _nextId;
    private int _unmatched;

    public MiTestClient(IPEndPoint server)
    {
        _server = server;
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _receiving = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Datagrams that matched no waiting call (late after a timeout, duplicated, or not JSON).</summary>
    public int Unmatched => Volatile.Read(ref _unmatched);

    /// <summary>Sends <c>{"jsonrpc":"2.0","method":…,"params":…,"id":N}</c> and returns the reply carrying id N.</summary>
    public async Task<JsonElement> CallAsync(string method, object? parameters = null, TimeSpan? timeout = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var request = parameters is null
            ? JsonSerializer.Serialize(new { jsonrpc = "2.0", method, id })
            : JsonSerializer.Serialize(new { jsonrpc = "2.0", method, @params = parameters, id });
        await _socket.SendToAsync(Encoding.UTF8.GetBytes(request), SocketFlags.None, _server);
        var wait = timeout ?? DefaultTimeout;
        try
        {
            return await reply.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(id, out _);
            throw new TimeoutException($"no reply to {method} id {id} within {wait}");
        }
    }

    /// <summary>The call's <c>result</c>; an MI error reply becomes an exception.</summary>
    public async Task<JsonElement> ResultAsync(string method, object? parameters = null, TimeSpan? timeout = null)
    {
        var reply = await CallAsync(method, parameters, timeout);
        return reply.TryGetProperty("result", out var result)
            ? result
            : throw new InvalidOperationException($"{method} failed: {reply.GetRawText()}");
    }

    /// <summary>The dialog's state as <c>dlg_list {callid}</c> reports it, or 0 when the proxy knows no live dialog.</summary>
    public async Task<int> DialogStateAsync(string callId)
    {
        var reply = await CallAsync("dlg_list", new { callid = callId });
        return reply.TryGetProperty("result", out var result) ? result.GetProperty("Dialog").GetProperty("state").GetInt32() : 0;
    }

    /// <summary>The dialog's state once it is <paramref name="expected"/>, or the last one seen when 5 s run out. For a
    /// dialog the command ends without awaiting the answer (CommandEntity.Cleanup.cs: the placeholder's or the transferred
    /// call's <c>dlg_end_dlg</c> leaves before Ended is stored), so the proxy may still be handling it when Ended arrives.</summary>
    public async Task<int> DialogStateOnceSettledAsync(string callId, int expected)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var state = await DialogStateAsync(callId);
            if (state == expected || DateTime.UtcNow >= until)
            {
                return state;
            }

            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _receiving.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // The loop ended on the closed socket: nothing left to receive.
        }

        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[70_000];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                continue; // e.g. ICMP port unreachable from an earlier send: the next datagram may still come
            }

            if (!TryMatch(buffer.AsSpan(0, received.ReceivedBytes)))
            {
                Interlocked.Increment(ref _unmatched);
            }
        }
    }

    private bool TryMatch(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty || datagram[0] != (byte)'{')
        {
            return false; // OpenSIPS answers some failures in plain text
        }

        try
        {
            using var reply = JsonDocument.Parse(datagram.ToArray());
            return reply.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number
                   && id.TryGetInt32(out var n) && _pending.TryRemove(n, out var waiting)
                   && waiting.TrySetResult(reply.RootElement.Clone());
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
