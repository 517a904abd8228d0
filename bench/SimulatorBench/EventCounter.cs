using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace CallCluster.SimulatorBench;

/// <summary>What a click-to-dial flow waits for: its dialog confirmed (3→4) and the transfer's ok (which names the new call).</summary>
public sealed class FlowEvents
{
    public TaskCompletionSource Confirmed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource<string> TransferOk { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The subscribed event listener: counts every EVI datagram and hands click-to-dial flows the two events they wait for.
/// Reads only the few params it needs with Utf8JsonReader.
/// </summary>
public sealed class EventCounter : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly ConcurrentDictionary<string, FlowEvents> _flows = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _count;

    public EventCounter()
    {
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(ReceiveLoop);
    }

    public string SocketText => $"udp:127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}";
    public long Count => Interlocked.Read(ref _count);

    public FlowEvents Watch(string callId) => _flows[callId] = new FlowEvents();
    public void Forget(string callId) => _flows.TryRemove(callId, out _);

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
            Interlocked.Increment(ref _count);
            if (!_flows.IsEmpty) Route(buffer.AsSpan(0, n));
        }
    }

    private void Route(ReadOnlySpan<byte> datagram)
    {
        string? callId = null, state = null, transferCallId = null;
        var newState = 0;
        var reader = new Utf8JsonReader(datagram);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 2) continue;
                if (reader.ValueTextEquals("callid"u8)) { reader.Read(); callId = reader.GetString(); }
                else if (reader.ValueTextEquals("state"u8)) { reader.Read(); state = reader.GetString(); }
                else if (reader.ValueTextEquals("transfer_callid"u8)) { reader.Read(); transferCallId = reader.GetString(); }
                else if (reader.ValueTextEquals("new_state"u8)) { reader.Read(); newState = reader.GetInt32(); }
            }
        }
        catch (JsonException) { return; }
        if (callId is null || !_flows.TryGetValue(callId, out var flow)) return;
        if (newState == 4) flow.Confirmed.TrySetResult();
        if (state == "ok" && transferCallId is not null) flow.TransferOk.TrySetResult(transferCallId);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
