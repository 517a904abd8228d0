using System.Net.Http.Json;
using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>A node process killed (SIGKILL) in the middle of CallStarts, restarted on the same journal: the commands
/// resume by themselves (nothing has to touch them), and a reconnecting client replays them to Ended without a gap.</summary>
public sealed partial class CrashRecoveryTests : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-crash-").FullName;
    private readonly int _miPort = FreePort.Udp();
    private readonly int _eviPort = FreePort.Udp();
    private readonly int _wsPort = FreePort.Tcp();
    private ChildProcess? _simulator;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The proxy must outlive the node: the standalone simulator, its slow callees answering after
    /// <paramref name="slowAnswer"/>.</summary>
    private async Task StartSimulatorAsync(string slowAnswer)
    {
        var simConfig = Path.Combine(_dir, "sim.conf");
        await File.WriteAllTextAsync(simConfig, $"callcluster.simulator {{ mi-port = {_miPort}, slow-answer-delay = {slowAnswer}, answer-delay = 20ms }}");
        _simulator = await ChildProcess.StartAsync("Simulator", $"--config \"{simConfig}\"", new Dictionary<string, string>(),
            "listening on udp:", StartTimeout);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            try
            {
                await node.DisposeAsync();
            }
            catch (InvalidOperationException)
            {
                // already disposed by the test
            }
        }

        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }

        if (_pgDatabase is not null)
        {
            await _pgDatabase.DisposeAsync();
        }

        TempDirectory.DeleteBestEffort(_dir);
    }

    private readonly int _adminPort = FreePort.Tcp();

    // The gateway's ask timeout raised from 10 s: on a loaded machine the first burst of 100 commands (shards allocated
    // one after the other on a fresh journal) took longer, and the test is about the restart, not cold-start latency.
    private async Task<ChildProcess> StartNodeAsync()
    {
        var node = await ChildProcess.StartAsync("Node", $"--config \"{NodeConfig()}\"",
            new Dictionary<string, string>(_journal)
            {
                ["CALLCLUSTER_MI"] = $"127.0.0.1:{_miPort}",
                ["CALLCLUSTER_WS_PORT"] = _wsPort.ToString(),
                ["CALLCLUSTER_EVI_PORT"] = _eviPort.ToString(),
                ["CALLCLUSTER_ADMIN_PORT"] = _adminPort.ToString(),
            }, "Call API listening on", StartTimeout);
        _nodes.Add(node);
        return node;
    }

    // Every node process started, killed in DisposeAsync even when a test fails before it kills them itself.
    private readonly List<ChildProcess> _nodes = [];

    // The journal of the node: the SQLite file of the embedded default, or (UseClusterJournal) a fresh PostgreSQL
    // database, as a cluster has.
    private Dictionary<string, string> _journal = [];
    private PostgresTestDatabase? _pgDatabase;

    /// <summary>The node's journal: <c>embedded</c> is the embedded default as shipped (SQLite file, its own layer
    /// only); <c>cluster</c> is PostgreSQL when CALLCLUSTER_TEST_PG is set (CI), as a cluster has, else the same
    /// SQLite setup, so the test still runs. Both layers remember commands in the journal.</summary>
    private async Task<string> UseJournalAsync(string kind)
    {
        var pg = PostgresTestDatabase.Server;
        if (kind == "embedded" || pg is null)
        {
            _journal = new() { ["CALLCLUSTER_DB"] = Path.Combine(_dir, "callcluster.db") };
            return "SQLite (the embedded default's layer)";
        }

        _pgDatabase = await PostgresTestDatabase.CreateAsync(pg, "callcluster_restart_" + Guid.NewGuid().ToString("N")[..12]);
        _journal = new() { ["CALLCLUSTER_PG"] = _pgDatabase.ConnectionString };
        return "PostgreSQL";
    }

    private string NodeConfig()
    {
        var file = Path.Combine(_dir, "node.conf");
        File.WriteAllText(file, "callcluster.gateway.ask-timeout = 30s\n");
        return file;
    }

    [Theory(Timeout = 180_000)]
    [InlineData("embedded")]
    [InlineData("cluster")]
    public async Task After_a_full_restart_every_in_flight_command_has_ended_when_first_looked_at_15_s_later(string journal)
    {
        // Every callee answers while the node is down: the answers' events are lost, so no event from the proxy wakes
        // the commands after the restart either; only remembering them does, and they reconcile with the proxy.
        // 8 s: longer than the burst of 100 takes to reach CALL_START on a loaded machine, so that all are in flight.
        await StartSimulatorAsync("8s");
        var store = await UseJournalAsync(journal);
        const int commands = 100;
        var ids = Enumerable.Range(0, commands).Select(i => $"restart-{i:000}").ToList();
        var endpoint = new Uri($"ws://127.0.0.1:{_wsPort}/call-api");
        var node = await StartNodeAsync();
        var transferredCalls = new List<string>();
        var endedBeforeKill = 0;
        await using (var client = await RpcTestClient.ConnectAsync(endpoint))
        {
            for (var i = 0; i < commands; i++)
            {
                await client.SendAsync(new
                {
                    jsonrpc = "2.0", id = i, method = "CallStart",
                    @params = new { caller = $"sip:r{i}-a@127.0.0.1", callee = $"sip:slow-r{i}-b@127.0.0.1", cmd_id = ids[i] },
                });
            }

            // Every one waits for its slow callee when the node dies.
            var atCallStart = new HashSet<string>();
            await client.ReceiveUntilAsync(m =>
            {
                var last = m.Count > 0 ? m[^1] : default;
                Assert.False(m.Count > 0 && last.TryGetProperty("error", out _), $"a CallStart was refused: {(m.Count > 0 ? last.GetRawText() : "")}");
                if (m.Count > 0 && Str(last, "params", "data") == "CALL_START")
                {
                    atCallStart.Add(Str(last, "params", "cmd_id")!);
                    transferredCalls.Add(Str(last, "params", "callid")!);
                }

                endedBeforeKill += m.Count > 0 && IsNotification(last, "Ended") ? 1 : 0;
                return atCallStart.Count == commands;
            }, TimeSpan.FromSeconds(90));
            await node.KillAsync();
            Assert.True(endedBeforeKill < commands / 2, $"{endedBeforeKill} of {commands} ended before the kill: the restart would prove little");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await node.DisposeAsync();
        using (var mi = new MiTestClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _miPort)))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            foreach (var call in transferredCalls)
            {
                while (await mi.DialogStateAsync(call) != 4)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"callee of {call} did not answer while the node was down");
                    await Task.Delay(100);
                }
            }
        }

        var down = clock.Elapsed;
        await using var restarted = await StartNodeAsync();
        var up = clock.Elapsed;

        // Nothing touches the commands: only the admin endpoint's region statistics are read, to measure when the
        // remembered commands are running again.
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_adminPort}"), Timeout = TimeSpan.FromSeconds(5) };
        TimeSpan? running = null;
        while (clock.Elapsed < up + TimeSpan.FromSeconds(15))
        {
            if (running is null && await RunningCommandsAsync(admin) >= commands)
            {
                running = clock.Elapsed;
            }

            await Task.Delay(200);
        }

        // First look, 15 s after the restart.
        await using var client2 = await RpcTestClient.ConnectAsync(endpoint);
        var notEnded = new List<string>();
        for (var i = 0; i < commands; i++)
        {
            await client2.SendAsync(new { jsonrpc = "2.0", id = 1000 + i, method = "CommandGet", @params = new { cmd_id = ids[i] } });
            var reply = (await client2.ReceiveUntilAsync(m => m.Count > 0 && IsReply(m[^1]), TimeSpan.FromSeconds(10)))[^1];
            var status = Str(reply, "result", "status");
            if (status != "ok")
            {
                notEnded.Add($"{ids[i]}: {status} {Str(reply, "result", "error")} {Str(reply, "error")}");
                continue;
            }

            var notes = reply.GetProperty("result").GetProperty("notifications").EnumerateArray().ToList();
            var codes = notes.SkipLast(1).Select(n => Str(n, "data")).Append("Ended " + Str(notes[^1], "status")).ToList();
            Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], codes);
        }

        var (shardingRows, commandRows) = await JournalRowsAsync();
        Console.WriteLine($"FULL RESTART ({commands} CallStart in flight, kill -9 of the node, journal {store}): node down " +
                          $"{down.TotalSeconds:0.00}s (until every callee had answered), up again {up.TotalSeconds:0.00}s after the kill; all {commands} commands running again " +
                          $"{(running is null ? "n/a (not within 15 s)" : $"{(running.Value - up).TotalSeconds:0.00}s after the restart")}; " +
                          $"{endedBeforeKill} had ended before the kill; {commands - notEnded.Count} of {commands} ended ok when first looked at, 15 s after the restart; " +
                          $"journal rows: {commandRows} of the commands' own, {shardingRows} of sharding's remember-entities store " +
                          $"({(double)shardingRows / commands:0.00} per command)");
        Assert.True(notEnded.Count == 0, $"{notEnded.Count} of {commands} not ended ok 15 s after the restart:\n" +
                                         string.Join("\n", notEnded.Take(10)) + "\n--- node output ---\n" + restarted.Output);
    }

    /// <summary>Journal rows written by sharding itself (persistence ids under /sharding/: remember-entities stores) and by
    /// the commands (persistence ids of the test's cmd_ids), read from the SQLite file.</summary>
    private async Task<(int Sharding, int Commands)> JournalRowsAsync()
    {
        var ids = new List<string>();
        if (_pgDatabase is null)
        {
            await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "callcluster.db")};Mode=ReadOnly");
            await db.OpenAsync();
            await using var query = db.CreateCommand();
            query.CommandText = "select persistence_id from journal";
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetString(0));
            }
        }
        else
        {
            await using var db = new Npgsql.NpgsqlConnection(_journal["CALLCLUSTER_PG"]);
            await db.OpenAsync();
            await using var query = new Npgsql.NpgsqlCommand("select persistence_id from journal", db);
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetString(0));
            }
        }

        return (ids.Count(id => id.StartsWith("/sharding/", StringComparison.Ordinal)), ids.Count(id => id.Contains("restart-", StringComparison.Ordinal)));
    }

    /// <summary>Command entities alive on the node (sum over its shards), from the admin endpoint; -1 when it does not answer.</summary>
    private static async Task<int> RunningCommandsAsync(HttpClient admin)
    {
        try
        {
            using var response = await admin.PostAsJsonAsync("/admin/v1/sharding/region-stats", new { args = new[] { "command" } });
            using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return doc.RootElement.GetProperty("rows").EnumerateArray()
                .Sum(r => int.Parse(r[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            return -1;
        }
    }

    [Fact]
    public async Task A_CallStart_interrupted_by_a_killed_node_resumes_after_restart_and_replays_to_Ended()
    {
        // The callee (slow enough to outlast a restart) answers after the node is back.
        await StartSimulatorAsync("12s");
        _journal = new() { ["CALLCLUSTER_DB"] = Path.Combine(_dir, "callcluster.db") };
        var endpoint = new Uri($"ws://127.0.0.1:{_wsPort}/call-api");
        var node = await StartNodeAsync();
        int lastSeen;
        await using (var client = await RpcTestClient.ConnectAsync(endpoint))
        {
            await client.SendAsync(new
            {
                jsonrpc = "2.0", id = 1, method = "CallStart",
                @params = new { caller = "sip:alice@127.0.0.1", callee = "sip:slow-bob@127.0.0.1", cmd_id = "survives-a-crash" },
            });
            var before = await client.ReceiveUntilAsync(m => m.Any(x => Str(x, "params", "data") == "CALL_START"), TimeSpan.FromSeconds(20));
            lastSeen = before.Where(m => !IsReply(m)).Max(m => Int(m, "params", "seq"));
            Assert.Equal(3, lastSeen);

            await node.KillAsync();
        }

        await node.DisposeAsync();
        await using var restarted = await StartNodeAsync();
        await using var reconnected = await RpcTestClient.ConnectAsync(endpoint);
        await reconnected.SendAsync(new { jsonrpc = "2.0", id = 2, method = "CommandSubscribe", @params = new { cmd_id = "survives-a-crash", after_seq = lastSeen } });

        var after = await reconnected.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended")), TimeSpan.FromSeconds(45));

        Assert.Equal("2", Str(after[0], "id"));
        var notifications = after.Skip(1).ToList();
        Assert.Equal([4, 5], notifications.Select(n => Int(n, "params", "seq")));
        Assert.Equal(("CALL_ANSWER", "callee"), (Str(notifications[0], "params", "data"), Str(notifications[0], "params", "leg")));
        Assert.Equal("ok", Str(notifications[1], "params", "status"));
    }
}
