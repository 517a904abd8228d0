using System.Net.WebSockets;
using System.Text;

namespace CallCluster.Admin;

/// <summary>Reading and closing the gateway WebSocket the way both of callctl's clients need (its own commands and the
/// original call-cmd's verbs): whole text frames, bounded in size, and a close that never fails the command.</summary>
internal static class TextFrames
{
    /// <summary>Larger frames are refused rather than buffered: the gateway never sends one.</summary>
    private const int MaxFrameBytes = 1 << 20;

    /// <summary>The next whole text frame, or null when the gateway closed the connection.</summary>
    public static async Task<string?> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (message.Length > MaxFrameBytes)
            {
                throw new WebSocketException("frame too large");
            }

            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
            }
        }
    }

    public static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The command has ended; how the socket closes does not matter.
        }
    }
}
