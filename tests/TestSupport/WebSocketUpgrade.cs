using System.Net;
using System.Net.WebSockets;

namespace CallCluster.TestSupport;

/// <summary>What a server answers to a WebSocket upgrade, for tests of who may connect.</summary>
public static class WebSocketUpgrade
{
    /// <summary>The HTTP status the upgrade got: 101 when the WebSocket opened (then closed again), else the refusal.</summary>
    public static async Task<HttpStatusCode> StatusAsync(Uri endpoint, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(endpoint, cts.Token);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }
}
