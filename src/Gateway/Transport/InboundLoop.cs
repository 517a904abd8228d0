using System.Buffers;
using System.Net.WebSockets;
using Akka.Actor;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Transport;

/// <summary>How the receive loop ended.</summary>
public sealed record InboundEnd(bool ClientClosed, WebSocketCloseStatus? Status, string? Description, Exception? Error);

/// <summary>Reads whole messages off the WebSocket (on the thread pool, never an actor thread), parses and
/// validates them, and tells the connection actor the result. Messages over the frame limit are read to
/// their end and dropped, answered with -32600; the connection stays open.</summary>
public static class InboundLoop
{
    /// <param name="credit">One slot per parsed frame told to the connection actor and not yet handled by it (the
    /// actor releases it): when all are taken the loop stops reading, and TCP pushes back on the client. Null: no bound.</param>
    /// <param name="closing">Cancelled when the connection actor is gone: frames are then read and dropped (the loop
    /// keeps reading to see the client's close frame).</param>
    public static async Task<InboundEnd> RunAsync(WebSocket socket, IDialect parser, IActorRef connection,
        int maxFrameBytes, CancellationToken ct, SemaphoreSlim? credit = null, CancellationToken closing = default)
    {
        // One reusable buffer per connection, sized for the limit plus one chunk to detect an oversized message.
        var buffer = ArrayPool<byte>.Shared.Rent(maxFrameBytes + 4096);
        try
        {
            while (true)
            {
                var length = 0;
                var oversized = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    var room = buffer.AsMemory(oversized ? 0 : length);
                    result = await socket.ReceiveAsync(room, ct).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return new InboundEnd(true, socket.CloseStatus, socket.CloseStatusDescription, null);
                    }

                    if (!oversized)
                    {
                        length += result.Count;
                        // Past the limit: keep reading to the end of the message, discarding it.
                        oversized = length > maxFrameBytes;
                    }
                }
                while (!result.EndOfMessage);

                if (credit is not null && !closing.IsCancellationRequested)
                {
                    try
                    {
                        await credit.WaitAsync(closing).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // closing: fall through and drop the frame
                    }
                }

                if (closing.IsCancellationRequested)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    connection.Tell(RequestParser.Refused(RpcError.InvalidRequest("binary frames are not supported; send JSON text frames")));
                }
                else if (oversized)
                {
                    connection.Tell(RequestParser.Refused(RpcError.InvalidRequest($"frame exceeds the limit of {maxFrameBytes} bytes")));
                }
                else
                {
                    connection.Tell(parser.Parse(buffer.AsMemory(0, length)));
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            return new InboundEnd(false, null, null, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
