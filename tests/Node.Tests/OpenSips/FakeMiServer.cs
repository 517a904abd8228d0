using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace CallCluster.Node.Tests.OpenSips;

/// <summary>One datagram the fake server received.</summary>
internal sealed record FakeMiRequest(string Raw, EndPoint From, JsonElement Json)
{
    public int Id => Json.GetProperty("id").GetInt32();
    public string? Method => Json.TryGetProperty("method", out var m) ? m.GetString() : null;
    public JsonElement Params => Json.GetProperty("params");
    public string? Param(string name) => Json.TryGetProperty("params", out var p) && p.TryGetProperty(name, out var v) ? v.ToString() : null;
}

/// <summary>A scripted MI endpoint on 127.0.0.1: records every datagram; optionally answers automatically.</summary>
internal sealed class FakeMiServer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Channel<FakeMiRequest> _requests = Channel.CreateUnbounded<FakeMiRequest>();
    private readonly CancellationTokenSource _stop = new();
    private volatile Func<FakeMiRequest, string?>? _autoReply;

    public FakeMiServer()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _ = Loop();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Answer each request with the returned text (null = stay silent).</summary>
    public Func<FakeMiRequest, string?>? AutoReply { get => _autoReply; set => _autoReply = value; }

    public static string Ok(FakeMiRequest r) => $"{{\"jsonrpc\":\"2.0\",\"result\":\"OK\",\"id\":{r.Id}}}";

    public async Task<FakeMiRequest> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(3));
        return await _requests.Reader.ReadAsync(cts.Token);
    }

    public async Task<List<FakeMiRequest>> TakeAsync(int count, TimeSpan? timeout = null)
    {
        var list = new List<FakeMiRequest>(count);
        for (var i = 0; i < count; i++) list.Add(await NextAsync(timeout));
        return list;
    }

    /// <summary>True when nothing arrives within <paramref name="window"/>.</summary>
    public async Task<bool> NothingWithin(TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            await _requests.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public void Send(string text, EndPoint to) => _socket.SendTo(Encoding.UTF8.GetBytes(text), to);

    public void Reply(FakeMiRequest request, string resultJson) =>
        Send($"{{\"jsonrpc\":\"2.0\",\"result\":{resultJson},\"id\":{request.Id}}}", request.From);

    private async Task Loop()
    {
        var buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }
            var raw = Encoding.UTF8.GetString(buffer, 0, r.ReceivedBytes);
            JsonElement json;
            try { json = JsonDocument.Parse(raw).RootElement.Clone(); }
            catch (JsonException) { json = default; }
            var request = new FakeMiRequest(raw, r.RemoteEndPoint, json);
            var answer = _autoReply?.Invoke(request);
            if (answer is not null) Send(answer, r.RemoteEndPoint);
            _requests.Writer.TryWrite(request);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }
}
