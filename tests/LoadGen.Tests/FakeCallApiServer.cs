using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CallCluster.LoadGen.Tests;

/// <summary>
/// A tiny in-test JSON-RPC-over-WebSocket server on 127.0.0.1:0 that answers every command like the protocol
/// (reply Started, Event seq 1, Ended seq 2 ok). Optional faults: swap the ids of the first two replies of each
/// connection; speak the upstream dialect.
/// </summary>
public sealed class FakeCallApiServer : IAsyncDisposable
{
    private LoopbackWebApp _app = null!;
    private long _requests;

    private FakeCallApiServer()
    {
    }

    public bool SwapFirstTwoReplies { get; init; }
    public bool Upstream { get; init; }
    public long Requests => Interlocked.Read(ref _requests);
    public Uri Url { get; private set; } = null!;

    public static async Task<FakeCallApiServer> StartAsync(bool swap = false, bool upstream = false)
    {
        var s = new FakeCallApiServer { SwapFirstTwoReplies = swap, Upstream = upstream };
        s._app = await LoopbackWebApp.StartAsync(app =>
        {
            app.UseWebSockets();
            app.Map("/call-api", async (HttpContext ctx) =>
            {
                if (!ctx.WebSockets.IsWebSocketRequest)
                {
                    ctx.Response.StatusCode = 400;
                    return;
                }
                using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
                await s.ServeAsync(ws, ctx.RequestAborted);
            });
        });
        s.Url = s._app.Url("ws", "/call-api");
        return s;
    }

    private async Task ServeAsync(WebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var held = new List<(JsonElement Id, string CmdId, string Method)>();
        int served = 0;
        try
        {
            while (ws.State == WebSocketState.Open)
            {
                int len = 0;
                WebSocketReceiveResult r;
                do
                {
                    r = await ws.ReceiveAsync(new ArraySegment<byte>(buffer, len, buffer.Length - len), ct);
                    len += r.Count;
                } while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
                    return;
                }
                Interlocked.Increment(ref _requests);
                using var doc = JsonDocument.Parse(buffer.AsMemory(0, len));
                var root = doc.RootElement;
                var id = root.GetProperty("id").Clone();
                string method = root.GetProperty("method").GetString()!;
                string cmdId = root.GetProperty("params").TryGetProperty("cmd_id", out var c) ? c.GetString()! : Guid.NewGuid().ToString();
                served++;
                if (SwapFirstTwoReplies && served <= 2)
                {
                    held.Add((id, cmdId, method));
                    if (held.Count < 2) continue;
                    // the ids of the two replies are exchanged; the notifications are right
                    await SendReplyAsync(ws, held[1].Id, held[0].CmdId, ct);
                    await SendReplyAsync(ws, held[0].Id, held[1].CmdId, ct);
                    await SendNotificationsAsync(ws, held[0].CmdId, held[0].Method, ct);
                    await SendNotificationsAsync(ws, held[1].CmdId, held[1].Method, ct);
                    continue;
                }
                await SendReplyAsync(ws, id, cmdId, ct);
                await SendNotificationsAsync(ws, cmdId, method, ct);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // client went away
        }
    }

    private Task SendReplyAsync(WebSocket ws, JsonElement id, string cmdId, CancellationToken ct) =>
        SendAsync(ws, Upstream
            ? $$$$"""{"jsonrpc":"2.0","id":{{{{id.GetRawText()}}}},"result":{"cmd_id":"{{{{cmdId}}}}","event":"Started"}}"""
            : $$$$"""{"jsonrpc":"2.0","id":{{{{id.GetRawText()}}}},"result":{"cmd_id":"{{{{cmdId}}}}","status":"Started"}}""", ct);

    private async Task SendNotificationsAsync(WebSocket ws, string cmdId, string method, CancellationToken ct)
    {
        if (Upstream)
        {
            await SendAsync(ws, $$$$"""{"jsonrpc":"2.0","method":"{{{{method}}}}","params":{"cmd_id":"{{{{cmdId}}}}","event":"CallEnding"}}""", ct);
            await SendAsync(ws, $$$$"""{"jsonrpc":"2.0","method":"{{{{method}}}}","params":{"cmd_id":"{{{{cmdId}}}}","event":"Ended"}}""", ct);
            return;
        }
        await SendAsync(ws, $$$$"""{"jsonrpc":"2.0","method":"Event","params":{"cmd_id":"{{{{cmdId}}}}","seq":1,"data":"CALL_END","callid":"x"}}""", ct);
        await SendAsync(ws, $$$$"""{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"{{{{cmdId}}}}","seq":2,"status":"ok"}}""", ct);
    }

    private static Task SendAsync(WebSocket ws, string json, CancellationToken ct) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, ct);

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
