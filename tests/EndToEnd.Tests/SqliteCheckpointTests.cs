using CallCluster.EndToEnd.Tests.Support;

namespace CallCluster.EndToEnd.Tests;

/// <summary>The embedded product, as the README runs it (a real process on its own SQLite file), checkpoints the
/// journal's write-ahead log in the background and says so on <c>/metrics</c> (docs/persistence.md, "SQLite
/// checkpoints"): the gauges appear only once a checkpoint has answered.</summary>
public sealed class SqliteCheckpointTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-checkpoint-").FullName;

    public void Dispose() => TempDirectory.DeleteBestEffort(_dir);

    [Fact(Timeout = 120_000)]
    public async Task The_embedded_node_reports_its_background_checkpoints_of_the_SQLite_log()
    {
        var adminPort = FreePort.Tcp();
        var environment = new Dictionary<string, string>
        {
            ["CALLCLUSTER_WS_PORT"] = FreePort.Tcp().ToString(),
            ["CALLCLUSTER_EVI_PORT"] = FreePort.Udp().ToString(),
            ["CALLCLUSTER_ADMIN_PORT"] = adminPort.ToString(),
            ["CALLCLUSTER_SIM_MI_PORT"] = FreePort.Udp().ToString(),
            ["CALLCLUSTER_DB"] = Path.Combine(_dir, "journal.db"),
        };
        await using var node = await ChildProcess.StartAsync("Embedded", "", environment, "Call API listening on", StartTimeout);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string[] lines;
        do
        {
            lines = (await http.GetStringAsync("/metrics")).Split('\n');
            // Idle, every frame is copied; a read in flight (the resumer's start-up scan) may hold the newest for a moment.
            if (lines.Contains("callcluster_sqlite_wal_frames_not_checkpointed 0"))
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Contains(lines, l => l.StartsWith("callcluster_sqlite_wal_frames ", StringComparison.Ordinal));
        Assert.Contains("callcluster_sqlite_wal_frames_not_checkpointed 0", lines);
        Assert.Contains("SQLite file", node.Output, StringComparison.Ordinal);
    }
}
