using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>Issue 18: one log format. A real node process with CALLCLUSTER_LOG_FORMAT=json writes nothing to stdout but
/// JSON objects, one per line, Akka's own entries (cluster membership) and ASP.NET's alike, and a command's log line
/// carries its cmd_id as a field, so a collector can follow one command across nodes.</summary>
public sealed class StructuredLogTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-logs-").FullName;

    public void Dispose() => TempDirectory.DeleteBestEffort(_dir);

    [Fact(Timeout = 180_000)]
    public async Task In_json_mode_every_stdout_line_is_a_json_object_and_a_command_logs_its_cmd_id()
    {
        var wsPort = FreePort.Tcp();
        var environment = new Dictionary<string, string>
        {
            ["CALLCLUSTER_LOG_FORMAT"] = "json",
            ["CALLCLUSTER_WS_PORT"] = wsPort.ToString(),
            ["CALLCLUSTER_EVI_PORT"] = FreePort.Udp().ToString(),
            ["CALLCLUSTER_ADMIN_PORT"] = FreePort.Tcp().ToString(),
            ["CALLCLUSTER_SIM_MI_PORT"] = FreePort.Udp().ToString(),
            ["CALLCLUSTER_DB"] = Path.Combine(_dir, "node.db"),
        };
        await using var node = await ChildProcess.StartAsync("Embedded", "", environment, "Call API listening on", Timeout);

        // CallEnd on a call nobody knows fails (-32001), and the command entity logs the failure with its cmd_id.
        var cmdId = "log-" + Guid.NewGuid().ToString("N")[..8];
        await using (var client = await RpcTestClient.ConnectAsync(new Uri($"ws://127.0.0.1:{wsPort}/call-api")))
        {
            await client.SendAsync(new { jsonrpc = "2.0", id = 1, method = "CallEnd", @params = new { callid = "no-such-call", cmd_id = cmdId } });
            await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), Timeout);
        }

        await node.WaitForLineAsync(cmdId, Timeout);

        var entries = node.StdoutLines.Select(line => Parse(line, node.FullOutput)).ToList();
        Assert.All(entries, e => Assert.True(e.TryGetProperty("LogLevel", out _) && e.TryGetProperty("Category", out _), e.ToString()));
        // Akka's own entries come through the same sink, under their logging class.
        Assert.Contains(entries, e => e.GetProperty("Category").GetString()!.StartsWith("Akka.Cluster", StringComparison.Ordinal));
        var failed = Assert.Single(entries, e => e.GetProperty("State").TryGetProperty("cmd_id", out var id) && id.GetString() == cmdId);
        Assert.Equal("CallEnd", failed.GetProperty("State").GetProperty("method").GetString());
        Assert.StartsWith("CallCluster.Node.Commands", failed.GetProperty("Category").GetString(), StringComparison.Ordinal);
    }

    private static JsonElement Parse(string line, string output)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"a stdout line is not JSON ({e.Message}): {line}\n--- output ---\n{output}");
        }
    }
}
