using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CallCluster.Admin;

/// <summary>The original Call API's <c>call-cmd</c> verbs: <c>callctl CallStart caller=URI callee=URI</c>. The first word
/// is the method (case-sensitive, as call-cmd passes it through), the rest <c>key=value</c> parameters split at the
/// first '=' (call-cmd's own rule). call-cmd ran the command itself against OpenSIPS's MI socket; callctl sends it to
/// a gateway in the original dialect (<c>/call-api/compat</c>, docs/compat-dialect.md), so its output is what call-cmd
/// printed: one <c>Method:cmd_id: Event[: data]</c> line per event (data as Go prints a map), nothing for Ended, and
/// on <c>Error</c> the reason and exit 1.</summary>
internal static class CallCmdVerbs
{
    /// <summary>The six methods (callctl's subcommands of the same names) and the parameters each takes.</summary>
    public static readonly IReadOnlyList<(string Method, string Parameters)> Methods =
    [
        ("CallStart", "caller=URI callee=URI"),
        ("CallBlindTransfer", "callid=ID leg=LEG destination=URI"),
        ("CallAttendedTransfer", "callidA=ID legA=LEG callidB=ID legB=LEG"),
        ("CallHold", "callid=ID"),
        ("CallUnhold", "callid=ID"),
        ("CallEnd", "callid=ID"),
    ];

    /// <param name="args">The method, then its <c>key=value</c> words.</param>
    public static async Task<int> RunAsync(string url, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr,
        CancellationToken ct, string? token = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            return await CallCtl.UsageError(stderr, $"--url '{url}' is not a ws:// or wss:// URL");
        }

        var method = args[0];
        var parameters = new JsonObject();
        foreach (var arg in args.Skip(1))
        {
            var eq = arg.IndexOf('=');
            parameters[eq < 0 ? arg : arg[..eq]] = eq < 0 ? "" : arg[(eq + 1)..];
        }

        var requestId = "callctl-" + Guid.NewGuid().ToString("N")[..12];
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = requestId, ["method"] = method, ["params"] = parameters };
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
            await socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, ct);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            await stderr.WriteLineAsync($"callctl: cannot reach the gateway at {uri}: {e.Message}");
            return CallCtl.ExitFailed;
        }

        try
        {
            string? cmdId = null;
            while (await TextFrames.ReceiveAsync(socket, ct) is { } text)
            {
                if (JsonNode.Parse(text) is not JsonObject message)
                {
                    continue;
                }

                if (message["id"] is JsonValue id && id.ToString() == requestId)
                {
                    if (message["error"] is JsonObject error)
                    {
                        await stderr.WriteLineAsync($"callctl: {error["code"]} {error["message"]}{(error["data"] is { } d ? ": " + d : "")}");
                        return CallCtl.ExitFailed;
                    }

                    cmdId = message["result"]?["cmd_id"]?.ToString();
                    continue;
                }

                if (message["params"] is not JsonObject p || p["cmd_id"]?.ToString() != cmdId)
                {
                    continue;
                }

                switch (p["event"]?.ToString())
                {
                    case "Ended":
                        await TextFrames.CloseQuietlyAsync(socket);
                        return CallCtl.ExitOk;
                    case "Error":
                        // call-cmd: logrus.Fatal(event.String()), the error's text, exit 1.
                        await stderr.WriteLineAsync(p["data"]?.ToString() ?? "error");
                        await TextFrames.CloseQuietlyAsync(socket);
                        return CallCtl.ExitFailed;
                    case { } name:
                        await stdout.WriteLineAsync($"{method}:{cmdId}: {name}{(p["data"] is { } data ? ": " + GoFormat(data) : "")}");
                        await stdout.FlushAsync(ct);
                        break;
                }
            }

            await stderr.WriteLineAsync("callctl: the gateway closed the connection before the command ended");
            return CallCtl.ExitFailed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("callctl: interrupted; the command goes on in the cluster");
            return CallCtl.ExitFailed;
        }
        catch (Exception e) when (e is WebSocketException or JsonException)
        {
            await stderr.WriteLineAsync($"callctl: connection to {uri} broke: {e.Message}");
            return CallCtl.ExitFailed;
        }
    }

    /// <summary>What Go's fmt.Sprint prints for the event's data: <c>map[callee:sip:b caller:sip:a]</c>, keys sorted.</summary>
    internal static string GoFormat(JsonNode node) => node switch
    {
        JsonObject o => "map[" + string.Join(" ", o.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}:{(kv.Value is null ? "<nil>" : GoFormat(kv.Value))}")) + "]",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}
