using System.Text.Json;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>One command's reply and notifications as the client saw them.</summary>
public sealed record CommandRun(JsonElement Reply, IReadOnlyList<JsonElement> Notifications)
{
    public string CmdId => Str(Reply, "result", "cmd_id")!;

    public IReadOnlyList<string> Codes => Notifications
        .Select(n => Str(n, "method") == "Ended" ? "Ended " + Str(n, "params", "status") : Str(n, "params", "data")!)
        .ToList();

    public JsonElement Ended => Notifications[^1];

    public int ErrorCode => Int(Ended, "params", "error", "code");

    public string ErrorMessage => Str(Ended, "params", "error", "message") ?? "";

    public JsonElement Event(string code, int nth = 0) =>
        Notifications.Where(n => Str(n, "params", "data") == code).ElementAt(nth);

    /// <summary>Sends one request and reads until that command's Ended (the connection must carry nothing else).</summary>
    public static async Task<CommandRun> RunAsync(RpcTestClient client, string method, object parameters, TimeSpan timeout)
    {
        var id = Guid.NewGuid().ToString("N");
        await client.SendAsync(new { jsonrpc = "2.0", id, method, @params = parameters });
        var messages = await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")) || m.Any(x => x.TryGetProperty("error", out _)), timeout);
        Assert.Equal(id, Str(messages[0], "id"));
        Assert.True(messages[0].TryGetProperty("result", out _), "request refused: " + messages[0].GetRawText());
        var notifications = messages.Skip(1).ToList();
        Assert.Equal(Enumerable.Range(1, notifications.Count), notifications.Select(n => Int(n, "params", "seq")));
        return new CommandRun(messages[0], notifications);
    }
}
