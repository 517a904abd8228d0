using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace CallCluster.EndToEnd.Tests.Compat;

/// <summary>What the original's <c>cmd/call-api-client</c> does (OpenSIPS/call-api @98b6286, main.go), in C#: dial,
/// send one request (<c>id</c> "" unless given, <c>params</c> as given), print every message, and stop at the first
/// one whose <c>params.event</c> is <c>Ended</c> or <c>Error</c>, closing with 1000. It looks at nothing else: an
/// error reply (no <c>params</c>) does not stop it, exactly like the original, which then waits forever; here the
/// wait is bounded and the run reports it did not end on its own.</summary>
public static class OriginalStyleClient
{
    /// <param name="Messages">Everything received, reply first.</param>
    /// <param name="EndedOnItsOwn">It saw Ended or Error and closed the connection, as the original does.</param>
    public sealed record Run(IReadOnlyList<JsonElement> Messages, bool EndedOnItsOwn)
    {
        /// <summary>The <c>params.event</c> of every notification, in order.</summary>
        public IReadOnlyList<string> Events => Messages.Where(m => m.TryGetProperty("params", out _))
            .Select(m => m.GetProperty("params").GetProperty("event").GetString()!).ToList();

        public JsonElement Notification(string evt) =>
            Messages.First(m => m.TryGetProperty("params", out var p) && p.GetProperty("event").GetString() == evt);

        public string? Data(string evt, string field) =>
            Notification(evt).GetProperty("params").GetProperty("data").GetProperty(field).GetString();
    }

    public static async Task<Run> RunAsync(Uri endpoint, string method, object parameters, TimeSpan timeout, string id = "")
    {
        using var socket = new ClientWebSocket();
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(endpoint, cts.Token);
        // jsonrpc.NewRequest: {"jsonrpc","id","method","params"}.
        var request = JsonSerializer.Serialize(new { jsonrpc = "2.0", id, method, @params = parameters });
        await socket.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, cts.Token);

        var messages = new List<JsonElement>();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var frame = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, cts.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return new Run(messages, false);
                    }

                    frame.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                using var doc = JsonDocument.Parse(frame.ToArray());
                var message = doc.RootElement.Clone();
                messages.Add(message);
                if (message.TryGetProperty("params", out var p) && p.TryGetProperty("event", out var e)
                    && e.GetString() is "Ended" or "Error")
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
                    return new Run(messages, true);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return new Run(messages, false);
        }
    }
}
