using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CallCluster.Admin;

/// <summary><c>callctl call ...</c>: sends one Call API command to a gateway (JSON-RPC 2.0 over WebSocket, see
/// docs/protocol.md) and prints its reply and notifications, one line each, until <c>Ended</c>.</summary>
internal static class CallClient
{
    public static async Task<int> RunAsync(string url, IReadOnlyList<string> args, bool json, TextWriter stdout,
        TextWriter stderr, CancellationToken ct, string? token = null)
    {
        if (args.Count == 0)
        {
            return await CallCtl.UsageError(stderr, "missing call command (start, hold, unhold, transfer, end)");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            return await CallCtl.UsageError(stderr, $"--url '{url}' is not a ws:// or wss:// URL");
        }

        if (!TryParseOptions(args.Skip(1).ToList(), out var options, out var optionError))
        {
            return await CallCtl.UsageError(stderr, optionError);
        }

        if (!TryBuildRequest(args[0], options, out var method, out var parameters, out var error))
        {
            return await CallCtl.UsageError(stderr, error);
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

    /// <summary>Maps <c>call VERB --opt value</c> onto a Call API method and its params.</summary>
    internal static bool TryBuildRequest(string verb, IReadOnlyDictionary<string, string> options, out string method,
        out JsonObject parameters, out string error)
    {
        parameters = [];
        error = "";
        string[] required;
        string[] optional = [];
        switch (verb)
        {
            case "start":
                method = "CallStart";
                required = ["caller", "callee"];
                break;
            case "hold":
            case "unhold":
                method = verb == "hold" ? "CallHold" : "CallUnHold";
                required = ["callid"];
                optional = ["leg"];
                break;
            case "end":
                method = "CallEnd";
                required = ["callid"];
                break;
            case "transfer" when options.ContainsKey("callid-a") || options.ContainsKey("callid-b"):
                method = "CallAttendedTransfer";
                required = ["callid-a", "leg-a", "callid-b", "leg-b"];
                optional = ["destination"];
                break;
            case "transfer":
                method = "CallBlindTransfer";
                required = ["callid", "leg", "destination"];
                break;
            default:
                method = "";
                error = $"unknown call command '{verb}' (start, hold, unhold, transfer, end)";
                return false;
        }

        foreach (var name in options.Keys)
        {
            if (!required.Contains(name) && !optional.Contains(name) && name != "cmd-id")
            {
                error = $"call {verb}: unexpected option --{name}";
                return false;
            }
        }

        foreach (var name in required)
        {
            if (!options.TryGetValue(name, out var value) || value.Length == 0)
            {
                error = $"call {verb}: --{name} is required";
                return false;
            }
        }

        foreach (var (name, value) in options)
        {
            parameters[name.Replace('-', '_')] = value;
        }

        return true;
    }

    private static bool TryParseOptions(IReadOnlyList<string> args, out Dictionary<string, string> options, out string error)
    {
        options = new Dictionary<string, string>(StringComparer.Ordinal);
        error = "";
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i].Length == 2)
            {
                error = $"unexpected argument '{args[i]}'";
                return false;
            }

            if (i + 1 >= args.Count)
            {
                error = $"{args[i]} needs a value";
                return false;
            }

            options[args[i][2..]] = args[++i];
        }

        return true;
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
