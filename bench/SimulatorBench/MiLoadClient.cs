using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CallCluster.SimulatorBench;

/// <summary>One MI reply: whether it was a JSON-RPC result (not an error), and its text when the caller asked for it.</summary>
public readonly record struct MiReply(bool Ok, string? Body);

/// <summary>
/// One client UDP socket with its own receive loop; replies are matched to waiting callers by id (never by arrival order).
/// The reply is inspected without a JSON parse: OpenSIPS's key order puts "result"/"error" at a fixed offset and "id" last.
/// </summary>
public sealed class MiLoadClient : IDisposable
{
    private sealed record Pending(TaskCompletionSource<MiReply> Done, bool KeepBody);

    private static readonly byte[] ResultPrefix = "{\"jsonrpc\":\"2.0\",\"result\""u8.ToArray();
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly EndPoint _server;
    private readonly ConcurrentDictionary<int, Pending> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _nextId;
    private long _unmatched;

    public MiLoadClient(IPEndPoint server)
    {
        _server = server;
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(ReceiveLoop);
    }

    /// <summary>Datagrams that matched no waiting request: late replies after a timeout, or plain-text errors.</summary>
    public long Unmatched => Interlocked.Read(ref _unmatched);

    public int NextId() => Interlocked.Increment(ref _nextId) & int.MaxValue;

    /// <summary>Sends one request datagram (already carrying <paramref name="id"/>) and waits, bounded, for its reply.</summary>
    public async Task<MiReply> CallAsync(int id, ReadOnlyMemory<byte> request, bool keepBody, TimeSpan timeout)
    {
        var pending = new Pending(new TaskCompletionSource<MiReply>(TaskCreationOptions.RunContinuationsAsynchronously), keepBody);
        _pending[id] = pending;
        await _socket.SendToAsync(request, SocketFlags.None, _server).ConfigureAwait(false);
        try
        {
            return await pending.Done.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(id, out _);
            throw;
        }
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try { n = (await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false)).ReceivedBytes; }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) { continue; }
            var data = buffer.AsSpan(0, n);
            if (TryReadId(data, out var id) && _pending.TryRemove(id, out var p))
            {
                var ok = data.StartsWith(ResultPrefix);
                p.Done.TrySetResult(new MiReply(ok, p.KeepBody ? Encoding.UTF8.GetString(data) : null));
            }
            else Interlocked.Increment(ref _unmatched);
        }
    }

    /// <summary>Replies end in ,"id":N} (OpenSIPS key order).</summary>
    private static bool TryReadId(ReadOnlySpan<byte> data, out int id)
    {
        id = 0;
        var colon = data.LastIndexOf((byte)':');
        return colon > 0 && data.Length > colon + 1 && Utf8Parser.TryParse(data[(colon + 1)..], out id, out _);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
