using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CallCluster.Admin;

/// <summary><c>callctl call ...</c> (<see cref="CallCommands"/>): sends one Call API command to a gateway (JSON-RPC 2.0 over WebSocket, see
/// docs/protocol.md) and prints its reply and notifications, one line each, until <c>Ended</c>.</summary>
internal static class CallClient
{
    /// <summary>Sends <paramref name="method"/> with <paramref name="parameters"/> (from <see cref="CallCommands"/>).</summary>
    public static async Task<int> RunAsync(string url, string method, JsonObject parameters, bool json, TextWriter stdout,
        TextWriter stderr, CancellationToken ct, string? token = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            return await CallCtl.UsageError(stderr, $"--url '{url}' is not a ws:// or wss:// URL");
        }

        var requestId = "callctl-" + Guid.NewGuid().ToString("N")[..12];
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = requestId,
            ["method"] = method,
            ["params"] = parameters,
        };

        using var socket = new ClientWebSocket();
        if (!string.IsNullOrEmpty(token))
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connect.CancelAfter(TimeSpan.FromSeconds(15));
            await socket.ConnectAsync(uri, connect.Token);
            var bytes = Encoding.UTF8.GetBytes(request.ToJsonString());
            await socket.SendAsync(bytes, WebSocketMessageType.Text, true, ct);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            await stderr.WriteLineAsync($"callctl: cannot reach the gateway at {uri}: {e.Message}");
            return CallCtl.ExitFailed;
        }

        string? cmdId = null;
        try
        {
            while (true)
            {
                var text = await TextFrames.ReceiveAsync(socket, ct);
                if (text is null)
                {
                    await stderr.WriteLineAsync("callctl: the gateway closed the connection before the command ended");
                    return CallCtl.ExitFailed;
                }

                JsonNode? frame;
                try
                {
                    frame = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    await stderr.WriteLineAsync("callctl: unreadable frame: " + text);
                    continue;
                }

                if (frame is not JsonObject message)
                {
                    continue;
                }

                // The reply to our request.
                if (message["id"] is JsonValue id && id.ToString() == requestId)
                {
                    await stdout.WriteLineAsync(json ? text : FormatReply(message));
                    if (message["error"] is not null)
                    {
                        return CallCtl.ExitFailed;
                    }

                    cmdId = message["result"]?["cmd_id"]?.GetValue<string>();
                    continue;
                }

                var notification = message["method"]?.GetValue<string>();
                var p = message["params"] as JsonObject;
                if (notification is null || p is null || (cmdId is not null && p["cmd_id"]?.ToString() != cmdId))
                {
                    continue;
                }

                await stdout.WriteLineAsync(json ? text : FormatNotification(notification, p));
                await stdout.FlushAsync(ct);
                if (notification == "Ended")
                {
                    await TextFrames.CloseQuietlyAsync(socket);
                    return p["status"]?.ToString() == "ok" ? CallCtl.ExitOk : CallCtl.ExitFailed;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync(
                $"callctl: interrupted; the command goes on in the cluster{(cmdId is null ? "" : $" (cmd_id {cmdId}, see CommandSubscribe)")}");
            return CallCtl.ExitFailed;
        }
        catch (WebSocketException e)
        {
            await stderr.WriteLineAsync($"callctl: connection to {uri} broke: {e.Message}");
            return CallCtl.ExitFailed;
        }
    }

    private static string FormatReply(JsonObject reply)
    {
        if (reply["error"] is JsonObject error)
        {
            var data = error["data"] is { } d ? " | " + d.ToJsonString().Trim('"') : "";
            return CallCtl.FormatRow(["Error", error["code"]?.ToString() ?? "", error["message"]?.ToString() ?? ""]) + data;
        }

        return CallCtl.FormatRow(["Reply", reply["result"]?["cmd_id"]?.ToString() ?? "", reply["result"]?["status"]?.ToString() ?? ""]);
    }

    /// <summary><c>Event | 1 | CALL_END | callid=c1 leg=caller</c>; <c>Ended | 2 | failed | -32001 unknown call</c>.</summary>
    internal static string FormatNotification(string method, JsonObject p)
    {
        var seq = p["seq"]?.ToString() ?? "";
        if (method == "Ended")
        {
            var columns = new List<string> { method, seq, p["status"]?.ToString() ?? "" };
            if (p["error"] is JsonObject error)
            {
                columns.Add($"{error["code"]} {error["message"]}".Trim());
            }

            return CallCtl.FormatRow(columns);
        }

        var context = string.Join(" ", p
            .Where(kv => kv.Key is not ("cmd_id" or "seq" or "data") && kv.Value is not null)
            .Select(kv => $"{kv.Key}={kv.Value!.ToString()}"));
        return CallCtl.FormatRow(context.Length == 0
            ? [method, seq, p["data"]?.ToString() ?? ""]
            : [method, seq, p["data"]?.ToString() ?? "", context]);
    }
}
