using System.Net;
using System.Net.Sockets;
using CallCluster.EndToEnd.Tests.Support;

namespace CallCluster.EndToEnd.Tests;

/// <summary>Issue 16: start-up mistakes an operator makes. A port that is taken is one line naming it and the setting that
/// changes it, exit code 2, no stack trace; an unknown flag is an error with the usage; two embedded nodes on one host
/// that set only their WebSocket, EVI and database settings both run (the admin and simulator defaults they did not
/// ask for fall back to free ports); the production node (src/Apps/Node) without an OpenSIPS address says what to set.
/// Real processes, ports held for real.</summary>
public sealed class StartupTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-startup-").FullName;

    public void Dispose() => TempDirectory.DeleteBestEffort(_dir);

    [Fact(Timeout = 120_000)]
    public async Task An_unknown_flag_is_an_error_with_the_usage_and_exit_code_2()
    {
        var (code, stderr, output) = await ChildProcess.RunToExitAsync("Embedded", "--bogus", new Dictionary<string, string>(), ExitTimeout);

        Assert.True(code == 2, output);
        Assert.Contains(stderr, l => l.StartsWith("callcluster: ", StringComparison.Ordinal) && l.Contains("'--bogus'", StringComparison.Ordinal));
        Assert.Contains(stderr, l => l.StartsWith("usage:", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task The_production_node_without_an_OpenSIPS_address_is_one_line_naming_the_setting_and_the_sandbox_with_exit_code_2()
    {
        // Every port free, so that only the missing address can stop it; CALLCLUSTER_MI empty whatever this machine set.
        var environment = FreeNodeEnvironment("no-mi");
        environment["CALLCLUSTER_AKKA_PORT"] = FreePort.Tcp().ToString();
        environment["CALLCLUSTER_MI"] = "";

        var (code, stderr, output) = await ChildProcess.RunToExitAsync("Node", "", environment, ExitTimeout);

        Assert.True(code == 2, $"exit code {code}:\n{output}");
        var line = Assert.Single(stderr, l => l.Length > 0);
        Assert.StartsWith("callcluster-node: ", line, StringComparison.Ordinal);
        Assert.Contains("CALLCLUSTER_MI", line, StringComparison.Ordinal);
        Assert.Contains("callcluster.mi.address", line, StringComparison.Ordinal);
        Assert.Contains("src/Apps/Embedded", line, StringComparison.Ordinal);
        Assert.DoesNotContain("sandbox mode", output, StringComparison.Ordinal);
        Assert.False(File.Exists(environment["CALLCLUSTER_DB"]), "the node stopped before opening its journal");
    }

    [Theory(Timeout = 180_000)]
    [InlineData("CALLCLUSTER_WS_PORT", "tcp")]
    [InlineData("CALLCLUSTER_ADMIN_PORT", "tcp")]
    [InlineData("CALLCLUSTER_EVI_PORT", "udp")]
    [InlineData("CALLCLUSTER_SIM_MI_PORT", "udp")]
    public async Task A_port_in_use_is_one_line_naming_the_port_and_its_setting_with_exit_code_2(string variable, string protocol)
    {
        using var held = Hold(protocol);
        var port = ((IPEndPoint)held.LocalEndPoint!).Port;
        var environment = FreeNodeEnvironment("busy");
        environment[variable] = port.ToString();

        var (code, stderr, output) = await ChildProcess.RunToExitAsync("Embedded", "", environment, ExitTimeout);

        Assert.True(code == 2, $"exit code {code}:\n{output}");
        var line = Assert.Single(stderr, l => l.Length > 0);
        Assert.Contains($":{port}", line, StringComparison.Ordinal);
        Assert.Contains(variable, line, StringComparison.Ordinal);
        Assert.DoesNotContain(output.Split('\n'), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task Two_nodes_that_set_only_websocket_evi_and_database_both_run()
    {
        // The shipped admin (9110) and sandbox simulator (8080) defaults are held here, as a first node on the host would
        // hold them (and this test never takes them from anyone else): both nodes must fall back to free ports.
        using var admin = TryHold("tcp", 9110);
        using var mi = TryHold("udp", 8080);
        var first = FreeNodeEnvironment("first", withAdmin: false);
        var second = FreeNodeEnvironment("second", withAdmin: false);

        await using var a = await ChildProcess.StartAsync("Embedded", "", first, "Call API listening on", ExitTimeout);
        await using var b = await ChildProcess.StartAsync("Embedded", "", second, "Call API listening on", ExitTimeout);

        foreach (var (node, env) in new[] { (a, first), (b, second) })
        {
            using var ws = new System.Net.WebSockets.ClientWebSocket();
            await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{env["CALLCLUSTER_WS_PORT"]}/call-api"), CancellationToken.None);
            Assert.Equal(System.Net.WebSockets.WebSocketState.Open, ws.State);
            Assert.Contains("Admin endpoint (callctl, /healthz, /metrics) on http://127.0.0.1:", node.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("on http://127.0.0.1:9110", node.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>Everything a node would otherwise take by default, on free ports, and its own SQLite file.</summary>
    private Dictionary<string, string> FreeNodeEnvironment(string name, bool withAdmin = true)
    {
        var environment = new Dictionary<string, string>
        {
            ["CALLCLUSTER_WS_PORT"] = FreePort.Tcp().ToString(),
            ["CALLCLUSTER_EVI_PORT"] = FreePort.Udp().ToString(),
            ["CALLCLUSTER_DB"] = Path.Combine(_dir, name + "-" + Guid.NewGuid().ToString("N")[..8] + ".db"),
        };
        if (withAdmin)
        {
            environment["CALLCLUSTER_ADMIN_PORT"] = FreePort.Tcp().ToString();
            environment["CALLCLUSTER_SIM_MI_PORT"] = FreePort.Udp().ToString();
        }

        return environment;
    }

    private static Socket Hold(string protocol) => TryHold(protocol, 0) ?? throw new InvalidOperationException("no free port");

    /// <summary>Binds (and, for TCP, listens on) 127.0.0.1:port; null when someone else already has it.</summary>
    private static Socket? TryHold(string protocol, int port)
    {
        var socket = protocol == "tcp"
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            if (protocol == "tcp")
            {
                socket.Listen();
            }

            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}
