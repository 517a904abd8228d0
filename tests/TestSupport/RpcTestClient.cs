using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace CallCluster.TestSupport;

/// <summary>A real WebSocket JSON-RPC client for tests: sends frames, and collects every message the server sends
/// into an inbox that tests read with bounded timeouts.</summary>
public sealed class RpcTestClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _inbox = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _receiveLoop;

    private RpcTestClient(ClientWebSocket socket)
    {
        _socket = socket;
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <param name="bearer">An API token, sent as Authorization: Bearer on the upgrade.</param>
    public static async Task<RpcTestClient> ConnectAsync(Uri endpoint, string? bearer = null)
    {
        var socket = new ClientWebSocket();
        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(endpoint, cts.Token);
        return new RpcTestClient(socket);
    }

    public Task SendAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendAsync(object request) => SendAsync(JsonSerializer.Serialize(request));

    /// <summary>The next message from the server, or a TimeoutException.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _inbox.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no message from the server within {timeout}");
        }
    }

    /// <summary>Reads messages until <paramref name="done"/> holds for what was read, within the timeout.</summary>
    public async Task<List<JsonElement>> ReceiveUntilAsync(Func<IReadOnlyList<JsonElement>, bool> done, TimeSpan timeout)
    {
        var received = new List<JsonElement>();
        var deadline = DateTime.UtcNow + timeout;
        while (!done(received))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"condition not met within {timeout}; received {received.Count} messages: " +
                                           string.Join("\n", received.Take(20).Select(m => m.GetRawText())));
            }

            received.Add(await ReceiveAsync(left));
        }

        return received;
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "test done", cts.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The server may already be gone; the test is over either way.
            }
        }

        await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[128 * 1024];
        var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(message.ToArray());
                await _inbox.Writer.WriteAsync(document.RootElement.Clone());
                message.SetLength(0);
            }
        }
        catch (WebSocketException)
        {
            // Connection dropped: tests observe it through CloseStatus or missing messages.
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }
}
