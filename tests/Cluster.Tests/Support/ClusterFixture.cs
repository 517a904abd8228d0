using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;

namespace CallCluster.Cluster.Tests.Support;

/// <summary>Per-test settings layered into the processes' configuration.</summary>
/// <param name="Simulator">Extra keys of the simulator's <c>callcluster.simulator { }</c> block.</param>
/// <param name="Node">Extra HOCON for the call nodes and the gateway.</param>
/// <param name="JournalThroughRelay">PostgreSQL only: the call nodes reach the journal through a <see cref="TcpRelay"/>
/// (<see cref="ClusterFixture.JournalRelay"/>) that a test can cut, as if the database stopped.</param>
public sealed record ClusterOptions(string Simulator = "", string Node = "", bool JournalThroughRelay = false);

/// <summary>One call node process (roles call-node,gateway) and what reaches it.</summary>
public sealed record CallNode(string Name, ChildProcess Process, int AkkaPort, int WsPort, int EviPort, AdminClient Admin)
{
    public string Address => $"akka.tcp://callcluster@127.0.0.1:{AkkaPort}";

    public Uri Ws => new($"ws://127.0.0.1:{WsPort}/call-api");

    /// <summary>The socket text its EVI listener subscribes with (when CALLCLUSTER_EVI_ADVERTISE is not set).</summary>
    public string EviSocket => $"udp:127.0.0.1:{EviPort}";
}

/// <summary>
/// A real CallCluster cluster on 127.0.0.1, every member a separate process started from this test's output folder, on
/// ports picked free at run time: the standalone OpenSIPS simulator, two call nodes and one gateway-only process, joined
/// through the seeds (the two call nodes). The journal is a fresh PostgreSQL database per fixture when
/// CALLCLUSTER_TEST_PG is set (CI), else a shared SQLite file.
/// <para>Who is oldest: <see cref="Oldest"/> is started first (first seed: it forms the cluster), so it hosts the
/// cluster singletons (EVI subscription, shard coordinators). It also gets the HIGHER akka port, so that nothing can
/// depend on the lowest address winning: the downing rule (call nodes first, the gateway breaks a one-against-one tie,
/// docs/survival.md) keeps whichever call node survives a kill.</para>
/// </summary>
public sealed class ClusterFixture : IAsyncDisposable
{
    public const int NumberOfShards = 100; // callcluster.sharding.number-of-shards (hocon/base.conf)
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly ITestOutputHelper _log;
    private readonly string _dir;
    private readonly List<ChildProcess> _processes = [];
    private readonly Dictionary<string, (Dictionary<string, string> Env, string Config)> _callNodeStarts = [];
    private PostgresTestDatabase? _pgDatabase;

    /// <summary>Between the call nodes and PostgreSQL when <see cref="ClusterOptions.JournalThroughRelay"/> was asked
    /// (and CALLCLUSTER_TEST_PG is set); null otherwise.</summary>
    public TcpRelay? JournalRelay { get; private set; }

    private ClusterFixture(ITestOutputHelper log, string dir)
    {
        _log = log;
        _dir = dir;
    }

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public ChildProcess Simulator { get; private set; } = null!;

    public IPEndPoint Mi { get; private set; } = null!;

    /// <summary>Higher akka port, started first: the oldest call node (singletons, coordinator).</summary>
    public CallNode Oldest { get; private set; } = null!;

    /// <summary>Lower akka port, started second.</summary>
    public CallNode Younger { get; private set; } = null!;

    public ChildProcess Gateway { get; private set; } = null!;

    public Uri GatewayWs { get; private set; } = null!;

    public AdminClient GatewayAdmin { get; private set; } = null!;

    public string Store { get; private set; } = "";

    public IEnumerable<CallNode> CallNodes => [Oldest, Younger];

    public static async Task<ClusterFixture> StartAsync(ITestOutputHelper log, ClusterOptions? options = null)
    {
        options ??= new ClusterOptions();
        var fixture = new ClusterFixture(log, Directory.CreateTempSubdirectory("callcluster-cluster-").FullName);
        try
        {
            await fixture.StartAllAsync(options);
            return fixture;
        }
        catch (Exception e)
        {
            var foreign = fixture._processes.Where(p => p.GotForeignSigterm).Select(p => p.Name).ToList();
            var output = (foreign.Count == 0 ? "" : $"NOTE: {string.Join(", ", foreign)} received a SIGTERM the test did not send\n") +
                         fixture.AllOutput();
            await fixture.DisposeAsync();
            throw new InvalidOperationException($"cluster did not start: {e.Message}\n--- process output ---\n{output}", e);
        }
    }

    public void Log(string line)
    {
        var text = $"[test +{Clock.Elapsed.TotalSeconds:0.0}s] {line}";
        try
        {
            _log.WriteLine(text);
        }
        catch (InvalidOperationException)
        {
            // no test is running (dispose after the test)
        }

        Console.WriteLine(text);
    }

    /// <summary>The kept output of every process, for failure messages.</summary>
    public string AllOutput() => string.Join("\n\n", _processes.Select(p => $"===== {p.Name} (pid {SafePid(p)}) =====\n{p.Output}"));

    /// <summary>Runs a test body; a failure carries the processes' output.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            var foreign = _processes.Where(p => p.GotForeignSigterm).Select(p => p.Name).ToList();
            var note = foreign.Count == 0
                ? ""
                : $"NOTE: {string.Join(", ", foreign)} received a SIGTERM this test did not send (something else on the machine signalled it)\n";
            throw new Xunit.Sdk.XunitException($"{note}{e.GetType().Name}: {e.Message}\n--- process output ---\n{AllOutput()}\n--- end of process output ---\n{e}");
        }
    }

    public MiTestClient NewMiClient() => new(Mi);

    /// <summary>The subscriber sockets the simulator lists per event (subscribers_list).</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> SubscribersAsync()
    {
        using var mi = NewMiClient();
        var reply = await mi.CallAsync("subscribers_list");
        var result = new Dictionary<string, IReadOnlyList<string>>();
        if (!reply.TryGetProperty("result", out var r) || !r.TryGetProperty("Events", out var events))
        {
            throw new InvalidOperationException("unexpected subscribers_list reply: " + reply.GetRawText());
        }

        foreach (var e in events.EnumerateArray())
        {
            result[e.GetProperty("name").GetString()!] = e.TryGetProperty("Subscribers", out var subs)
                ? subs.EnumerateArray().Select(s => s.GetProperty("socket").GetString()!).ToList()
                : [];
        }

        return result;
    }

    public static readonly string[] CallEvents = ["E_DLG_STATE_CHANGED", "E_CALL_TRANSFER", "E_CALL_HOLD"];

    /// <summary>True when each of the three call events lists <paramref name="socket"/>.</summary>
    public async Task<bool> SubscribedAsync(string socket)
    {
        var subs = await SubscribersAsync();
        return CallEvents.All(e => subs.TryGetValue(e, out var list) && list.Contains(socket));
    }

    /// <summary>Hosts of command entities: which call node's region holds the shard of each cmd_id right now.</summary>
    public async Task<IReadOnlyDictionary<string, CallNode?>> LocateAsync(string type, IEnumerable<string> ids)
    {
        var shards = new Dictionary<CallNode, IReadOnlyDictionary<string, int>>();
        foreach (var node in CallNodes.Where(n => !n.Process.HasExited))
        {
            shards[node] = await node.Admin.RegionStatsAsync(type);
        }

        return ids.Distinct().ToDictionary<string, string, CallNode?>(id => id, id =>
        {
            var shard = ShardOf(id);
            return shards.FirstOrDefault(kv => kv.Value.ContainsKey(shard)).Key;
        });
    }

    public static string ShardOf(string entityId) => CallCluster.Hosting.Admin.ShardingPalette.ShardIdOf(entityId, NumberOfShards);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.AsEnumerable().Reverse())
        {
            await process.DisposeAsync();
        }

        GatewayAdmin?.Dispose();
        if (JournalRelay is not null)
        {
            await JournalRelay.DisposeAsync();
        }

        foreach (var node in new[] { Oldest, Younger }.Where(n => n is not null))
        {
            node.Admin.Dispose();
        }

        if (_pgDatabase is not null)
        {
            try
            {
                await _pgDatabase.DisposeAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                Log($"could not drop PostgreSQL database {_pgDatabase.Name}: {e.Message}");
            }
        }

        TempDirectory.DeleteBestEffort(_dir);
    }

    private async Task StartAllAsync(ClusterOptions options)
    {
        // Ports picked free at run time. The oldest node gets the higher akka port (see the class summary).
        var akkaPorts = new[] { FreePort.Tcp(), FreePort.Tcp() }.Order().ToArray();
        while (akkaPorts[0] == akkaPorts[1])
        {
            akkaPorts = new[] { FreePort.Tcp(), FreePort.Tcp() }.Order().ToArray();
        }

        var (youngerAkka, oldestAkka) = (akkaPorts[0], akkaPorts[1]);
        var miPort = FreePort.Udp();
        var seeds = $"akka.tcp://callcluster@127.0.0.1:{oldestAkka},akka.tcp://callcluster@127.0.0.1:{youngerAkka}";

        var simConfig = Path.Combine(_dir, "simulator.conf");
        await File.WriteAllTextAsync(simConfig, $$"""
            callcluster.simulator {
              mi-port = {{miPort}}
              answer-delay = 20ms
              {{options.Simulator}}
            }
            """);
        var nodeConfig = Path.Combine(_dir, "cluster-test.conf");
        // Failure detection, downing and hand-over timings are the shipped loopback defaults (hocon/base.conf): the tests
        // measure what a user gets.
        await File.WriteAllTextAsync(nodeConfig, $$"""
            akka.loglevel = INFO
            # A burst of 100 commands on a fresh cluster allocates up to 100 shards one after the other (each a
            # Distributed Data majority write and a journal write of the remembered shard); on a loaded 2-core machine
            # that took longer than the default 10 s, and the gateway refused the last commands. The tests are about
            # failover, not about cold-start latency.
            callcluster.gateway.ask-timeout = 30s
            # A callee answer whose event was lost while the subscription moved is found by the watchdog (dlg_list).
            callcluster.commands.transfer-answer-timeout = 30s
            {{options.Node}}
            """);

        var common = new Dictionary<string, string>
        {
            ["CALLCLUSTER_AKKA_HOST"] = "127.0.0.1",
            ["CALLCLUSTER_SEEDS"] = seeds,
            ["CALLCLUSTER_MI"] = $"127.0.0.1:{miPort}",
        };
        await PrepareStoreAsync(common, options.JournalThroughRelay);
        Log($"journal: {Store}");

        Simulator = await StartAsync("simulator", "Simulator", $"--config \"{simConfig}\"", new Dictionary<string, string>(), "listening on udp:");
        Mi = new IPEndPoint(IPAddress.Loopback, miPort);

        // The oldest first: it is the first seed and forms the cluster; the others join it.
        var oldest = StartCallNodeAsync("node-old", oldestAkka, common, nodeConfig, upOnly: true);
        Oldest = await oldest;
        await WaitForJournalTablesAsync();
        var younger = StartCallNodeAsync("node-young", youngerAkka, common, nodeConfig, upOnly: false);
        var gatewayWs = FreePort.Tcp();
        var gatewayAdmin = FreePort.Tcp();
        var gateway = StartAsync("gateway", "Gateway", $"--config \"{nodeConfig}\"", new Dictionary<string, string>(common)
        {
            ["CALLCLUSTER_ROLES"] = "gateway",
            ["CALLCLUSTER_AKKA_PORT"] = FreePort.Tcp().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CALLCLUSTER_WS_PORT"] = gatewayWs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CALLCLUSTER_ADMIN_PORT"] = gatewayAdmin.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, "Call API listening on");
        await Oldest.Process.WaitForLineAsync("Call API listening on", StartTimeout);
        Younger = await younger;
        Gateway = await gateway;
        GatewayWs = new Uri($"ws://127.0.0.1:{gatewayWs}/call-api");
        GatewayAdmin = new AdminClient(gatewayAdmin);

        foreach (var (name, admin) in new[] { ("node-old", Oldest.Admin), ("node-young", Younger.Admin), ("gateway", GatewayAdmin) })
        {
            await CommandTracker.WaitUntilAsyncAsync(admin.IsReadyAsync, StartTimeout, () => $"{name} /healthz/ready on :{admin.Port} not 200");
        }

        await CommandTracker.WaitUntilAsyncAsync(async () =>
        {
            var members = await Oldest.Admin.RunAsync("cluster", "show");
            return members.Count(m => m.Contains("Up")) == 3;
        }, StartTimeout, () => "3 members Up (cluster show)");

        // Events flow only once the singleton (on the oldest) has subscribed its listener.
        await CommandTracker.WaitUntilAsyncAsync(() => SubscribedAsync(Oldest.EviSocket), StartTimeout,
            () => $"EVI subscription of {Oldest.EviSocket}");
        Log($"cluster up in {Clock.Elapsed.TotalSeconds:0.0}s: {Oldest.Name} {Oldest.Address} (oldest, ws {Oldest.WsPort}, admin {Oldest.Admin.Port}, evi {Oldest.EviPort}, pid {Oldest.Process.Pid}); " +
            $"{Younger.Name} {Younger.Address} (ws {Younger.WsPort}, admin {Younger.Admin.Port}, evi {Younger.EviPort}, pid {Younger.Process.Pid}); " +
            $"gateway ws {gatewayWs} admin {gatewayAdmin} pid {Gateway.Pid}; simulator MI {Mi}");
    }

    /// <summary>The oldest node creates the journal tables at start-up (auto-start-journals); the others start after
    /// that, because two nodes creating the tables of a fresh PostgreSQL database at once race (23505 on pg_type).</summary>
    private async Task WaitForJournalTablesAsync()
    {
        if (_pgDatabase is null)
        {
            return;
        }

        await CommandTracker.WaitUntilAsyncAsync(async () =>
        {
            await using var db = new NpgsqlConnection(_pgDatabase.ConnectionString);
            await db.OpenAsync();
            await using var count = new NpgsqlCommand(
                "select count(*) from information_schema.tables where table_name in ('journal', 'snapshot')", db);
            return (long)(await count.ExecuteScalarAsync())! == 2;
        }, StartTimeout, () => $"journal and snapshot tables in {_pgDatabase.Name} (created by {Oldest.Name} at start-up)");
    }

    private async Task<CallNode> StartCallNodeAsync(string name, int akkaPort, Dictionary<string, string> common, string config, bool upOnly)
    {
        var ws = FreePort.Tcp();
        var admin = FreePort.Tcp();
        var evi = FreePort.Udp();
        var env = new Dictionary<string, string>(common)
        {
            ["CALLCLUSTER_ROLES"] = "call-node,gateway",
            ["CALLCLUSTER_AKKA_PORT"] = akkaPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CALLCLUSTER_WS_PORT"] = ws.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CALLCLUSTER_ADMIN_PORT"] = admin.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CALLCLUSTER_EVI_PORT"] = evi.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _callNodeStarts[name] = (env, config);
        var process = await StartAsync(name, "Node", $"--config \"{config}\"", env, upOnly ? "is Up" : "Call API listening on");
        return new CallNode(name, process, akkaPort, ws, evi, new AdminClient(admin));
    }

    /// <summary>
    /// Starts a call node again after its process has exited, on the same ports and with the same settings (same akka
    /// address, WebSocket, admin and EVI ports, same seeds and journal), as a rolling restart or a pod restart does; it
    /// joins the running cluster as a new incarnation. Returns when its Call API listens and /healthz/ready is 200
    /// (member Up). The returned record replaces the old one in <see cref="Oldest"/> or <see cref="Younger"/> (by name:
    /// after a restart, <see cref="Oldest"/> is no longer the oldest member) and keeps its admin client.
    /// </summary>
    public async Task<CallNode> RestartCallNodeAsync(CallNode node)
    {
        if (!node.Process.HasExited)
        {
            throw new InvalidOperationException($"{node.Name} (pid {node.Process.Pid}) is still running: stop it before restarting it");
        }

        var (env, config) = _callNodeStarts[node.Name];
        var process = await StartAsync(node.Name, "Node", $"--config \"{config}\"", env, "Call API listening on");
        var restarted = node with { Process = process };
        if (Oldest.Name == node.Name)
        {
            Oldest = restarted;
        }
        else
        {
            Younger = restarted;
        }

        await CommandTracker.WaitUntilAsyncAsync(restarted.Admin.IsReadyAsync, StartTimeout,
            () => $"restarted {node.Name} /healthz/ready on :{restarted.Admin.Port} not 200");
        return restarted;
    }

    private async Task<ChildProcess> StartAsync(string name, string assembly, string args, Dictionary<string, string> env, string ready)
    {
        var process = await ChildProcess.StartAsync(name, assembly, args, env, ready, StartTimeout);
        _processes.Add(process);
        return process;
    }

    private async Task PrepareStoreAsync(Dictionary<string, string> env, bool throughRelay)
    {
        var pg = PostgresTestDatabase.Server;
        if (pg is null)
        {
            var file = Path.Combine(_dir, "callcluster.db");
            env["CALLCLUSTER_DB"] = file;
            Store = $"SQLite file {file} (CALLCLUSTER_TEST_PG not set)";
            return;
        }

        // A fresh database per fixture run; the journal tables are created by the nodes (auto-initialize).
        _pgDatabase = await PostgresTestDatabase.CreateAsync(pg, "callcluster_" +
            DateTime.UtcNow.ToString("MMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "_" + Guid.NewGuid().ToString("N")[..8]);
        var builder = new NpgsqlConnectionStringBuilder(_pgDatabase.ConnectionString);
        if (builder.MaxPoolSize == 100)
        {
            // Npgsql's default pool (100 per process) lets two call nodes under a burst of 100 commands exhaust a
            // default PostgreSQL (max_connections = 100): recovery then fails with 53300 "remaining connection slots
            // are reserved". Bounded per node, as a deployment would.
            builder.MaxPoolSize = 40;
        }

        Store = $"PostgreSQL database {_pgDatabase.Name} on {builder.Host}:{builder.Port}";
        if (throughRelay)
        {
            var addresses = await System.Net.Dns.GetHostAddressesAsync(builder.Host ?? "127.0.0.1");
            JournalRelay = new TcpRelay(new IPEndPoint(addresses[0], builder.Port));
            // A connection attempt to a cut relay is refused at once; the timeout bounds the other cases.
            builder = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Host = "127.0.0.1", Port = JournalRelay.Port, Timeout = 3 };
            Store += $" through a TCP relay on 127.0.0.1:{JournalRelay.Port}";
        }

        env["CALLCLUSTER_PG"] = builder.ConnectionString;
    }

    private static string SafePid(ChildProcess p)
    {
        try
        {
            return p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    internal static JsonElement ResultOf(JsonElement reply) =>
        reply.TryGetProperty("result", out var r) ? r : throw new InvalidOperationException("MI error: " + reply.GetRawText());
}
