using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace CallCluster.Gateway.Tests;

/// <summary>A test client: whole text messages in and out, every wait bounded.</summary>
public sealed class WsClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private WsClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public WebSocketReceiveResult? CloseResult { get; private set; }

    public static async Task<WsClient> ConnectAsync(Uri endpoint, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(endpoint, cts.Token);
        return new WsClient(socket);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] payload, WebSocketMessageType type)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await Socket.SendAsync(payload, type, true, cts.Token);
    }

    /// <summary>The next text message, or null when the server closed (see <see cref="CloseResult"/>).</summary>
    public async Task<string?> ReceiveTextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                CloseResult = result;
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null)
    {
        var text = await ReceiveTextAsync(timeout) ?? throw new InvalidOperationException(
            $"server closed: {CloseResult?.CloseStatus} {CloseResult?.CloseStatusDescription}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>Sends a request and returns the next message (the caller knows it is the reply).</summary>
    public async Task<JsonElement> CallAsync(string request)
    {
        await SendAsync(request);
        return await ReceiveAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
            catch (Exception)
            {
                Socket.Abort();
            }
        }

        Socket.Dispose();
    }
}
