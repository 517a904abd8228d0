using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.EndToEnd.Tests.Support.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>A node process killed (SIGKILL) in the middle of a CallStart, restarted on the same journal: the command
/// resumes by itself and a reconnecting client replays it to Ended without a gap in seq.</summary>
public sealed class CrashRecoveryTests : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-crash-").FullName;
    private readonly int _miPort = FreePort.Udp();
    private readonly int _eviPort = FreePort.Udp();
    private readonly int _wsPort = FreePort.Tcp();
    private ChildProcess? _simulator;

    public async Task InitializeAsync()
    {
        // The proxy must outlive the node: the standalone simulator, its callee slow enough to outlast a restart.
        var simConfig = Path.Combine(_dir, "sim.conf");
        await File.WriteAllTextAsync(simConfig, $"callcluster.simulator {{ mi-port = {_miPort}, slow-answer-delay = 12s, answer-delay = 20ms }}");
        _simulator = await ChildProcess.StartAsync("Simulator", $"--config \"{simConfig}\"", new Dictionary<string, string>(),
            "listening on udp:", StartTimeout);
    }

    public async Task DisposeAsync()
    {
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private Task<ChildProcess> StartNodeAsync() => ChildProcess.StartAsync("Node", "", new Dictionary<string, string>
    {
        ["CALLCLUSTER_MI"] = $"127.0.0.1:{_miPort}",
        ["CALLCLUSTER_DB"] = Path.Combine(_dir, "callcluster.db"),
        ["CALLCLUSTER_WS_PORT"] = _wsPort.ToString(),
        ["CALLCLUSTER_EVI_PORT"] = _eviPort.ToString(),
        ["CALLCLUSTER_ADMIN_PORT"] = "0",
    }, "Call API listening on", StartTimeout);

    [Fact]
    public async Task A_CallStart_interrupted_by_a_killed_node_resumes_after_restart_and_replays_to_Ended()
    {
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
