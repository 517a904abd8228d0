using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;

namespace CallCluster.Ops.Tests.Support;

/// <summary>The exchange both fake gateways script: one JSON request per WebSocket, recorded, answered with the frames
/// the script gives for it, then held open until the client closes.</summary>
internal static class ScriptedWebSocketEndpoint
{
    public static Task<LoopbackWebApp> StartAsync(string path, ConcurrentQueue<JsonObject> requests,
        Func<JsonObject, IEnumerable<string>> script) =>
        LoopbackWebApp.StartAsync(app =>
        {
            app.UseWebSockets();
            app.Map(path, async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[64 * 1024];
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                var request = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, received.Count))!.AsObject();
                requests.Enqueue(request);
                foreach (var frame in script(request))
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, context.RequestAborted);
                }

                try
                {
                    await socket.ReceiveAsync(buffer, context.RequestAborted); // until the client closes
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                }
                catch (WebSocketException)
                {
                    // The client went away without a close frame: nothing left to say.
                }
            });
        });
}
