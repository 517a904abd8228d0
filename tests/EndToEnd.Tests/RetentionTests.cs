using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>Journal retention through the whole embedded product (SQLite journal, the sweeper singleton, the gateway):
/// once a finished command is past the retention, CommandGet answers -32001 and its cmd_id cannot be reused.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private const string Overrides = """
        callcluster.commands.retention = 1s
        callcluster.commands.retention-sweep-interval = 200ms
        callcluster.commands.ended-linger = 500ms
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private EmbeddedNode _node = null!;

    public async Task InitializeAsync() => _node = await EmbeddedNode.StartAsync(Overrides);

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_finished_command_past_the_retention_answers_32001_and_its_cmd_id_is_refused()
    {
        await using var client = await RpcTestClient.ConnectAsync(_node.Endpoint);
        await client.SendAsync(new { jsonrpc = "2.0", id = 1, method = "CallEnd", @params = new { callid = "no-such-call", cmd_id = "retained-1" } });
        await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);

        // Polled: the sweeper runs every 200 ms and purges what ended more than 1 s ago.
        JsonElement answer;
        var deadline = DateTime.UtcNow + Timeout;
        var id = 100;
        do
        {
            await client.SendAsync(new { jsonrpc = "2.0", id = ++id, method = "CommandGet", @params = new { cmd_id = "retained-1" } });
            answer = await client.ReceiveAsync(Timeout);
            Assert.Equal(id.ToString(), Str(answer, "id"));
            if (answer.TryGetProperty("error", out _))
            {
                break;
            }

            Assert.Equal("failed", Str(answer, "result", "status"));
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(-32001, Int(answer, "error", "code"));
        Assert.Equal("command retained-1 ended and was removed after the retention period", Str(answer, "error", "data"));

        await client.SendAsync(new { jsonrpc = "2.0", id = 2, method = "CallEnd", @params = new { callid = "no-such-call", cmd_id = "retained-1" } });
        var reuse = await client.ReceiveAsync(Timeout);
        Assert.Equal(-32602, Int(reuse, "error", "code"));
        Assert.Contains("removed", Str(reuse, "error", "data"));
    }
}
