using System.Text.Json;
using CallCluster.LoadGen;

namespace CallCluster.LoadGen.Tests;

/// <summary>The real generator (WebSocket loops, summary) against the in-test fake server.</summary>
public class EndToEndTests
{
    private static async Task<JsonElement> RunAsync(FakeCallApiServer server, params string[] extra)
    {
        var args = new List<string> { "--url", server.Url.ToString(), "--grace", "5", "--max-seconds", "30", "--json-only" };
        args.AddRange(extra);
        var options = LoadGenCommandLine.TryParse(args, out var error);
        Assert.True(options is not null, error);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await new Runner(options!, log: null).RunAsync(timeout.Token);
        Assert.Equal(0, result.ExitCode);
        return JsonDocument.Parse(result.Json).RootElement.Clone();
    }

    [Fact]
    public async Task CallEnd_run_reports_counts_and_no_wrong_pairing()
    {
        await using var server = await FakeCallApiServer.StartAsync();
        var s = await RunAsync(server, "--count", "400", "--connections", "4", "--in-flight", "8");

        Assert.Equal(400, s.GetProperty("commands").GetProperty("sent").GetInt64());
        Assert.Equal(400, s.GetProperty("commands").GetProperty("accepted").GetInt64());
        Assert.Equal(400, s.GetProperty("commands").GetProperty("ended_ok").GetInt64());
        Assert.Equal(400, s.GetProperty("commands").GetProperty("events").GetInt64());
        Assert.Equal(400, s.GetProperty("ops").GetProperty("completed").GetInt64());
        Assert.Equal(0, s.GetProperty("wrong_pairing").GetInt64());
        Assert.Equal(0, s.GetProperty("never_ended").GetInt64());
        Assert.Equal(0, s.GetProperty("never_replied").GetInt64());
        Assert.Equal(0, s.GetProperty("errors_total").GetInt64());
        Assert.Equal(400, s.GetProperty("accept_latency_ms").GetProperty("count").GetInt64());
        Assert.Equal(400, s.GetProperty("flow_latency_ms").GetProperty("count").GetInt64());
        Assert.True(s.GetProperty("commands_per_s").GetDouble() > 0);
        var a = s.GetProperty("accept_latency_ms");
        Assert.True(a.GetProperty("p50").GetDouble() <= a.GetProperty("p99").GetDouble());
        Assert.True(a.GetProperty("p99").GetDouble() <= a.GetProperty("max").GetDouble());
        Assert.Equal("synthetic", s.GetProperty("setup").GetProperty("calls").GetString());
        Assert.Equal(4, s.GetProperty("params").GetProperty("connections").GetInt32());
        Assert.Equal(8, s.GetProperty("params").GetProperty("in_flight").GetInt32());
        Assert.Equal(400, server.Requests);
    }

    [Fact]
    public async Task Swapped_reply_ids_are_reported_as_wrong_pairing()
    {
        await using var server = await FakeCallApiServer.StartAsync(swap: true);
        var s = await RunAsync(server, "--count", "20", "--connections", "1", "--in-flight", "2");

        Assert.True(s.GetProperty("wrong_pairing").GetInt64() > 0);
        Assert.Equal(2, s.GetProperty("wrong_pairing_by_kind").GetProperty("reply_cmd_id_mismatch").GetInt64());
        Assert.Equal(20, s.GetProperty("commands").GetProperty("ended_ok").GetInt64());
        Assert.Equal(0, s.GetProperty("never_ended").GetInt64());
    }

    [Fact]
    public async Task Hold_cycles_send_two_commands_per_operation()
    {
        await using var server = await FakeCallApiServer.StartAsync();
        var s = await RunAsync(server, "--count", "10", "--in-flight", "3", "--mix", "hold=1");
        Assert.Equal(20, s.GetProperty("commands").GetProperty("sent").GetInt64());
        Assert.Equal(10, s.GetProperty("ops").GetProperty("ok").GetInt64());
        Assert.Equal(0, s.GetProperty("wrong_pairing").GetInt64());
    }

    [Fact]
    public async Task Upstream_dialect_end_to_end()
    {
        await using var server = await FakeCallApiServer.StartAsync(upstream: true);
        var s = await RunAsync(server, "--count", "50", "--in-flight", "4", "--dialect", "upstream", "--mix", "start=1,end=1");
        Assert.Equal(50, s.GetProperty("commands").GetProperty("ended_ok").GetInt64());
        Assert.Equal(0, s.GetProperty("wrong_pairing").GetInt64());
        Assert.Equal("upstream", s.GetProperty("params").GetProperty("dialect").GetString());
    }

    [Fact]
    public async Task Nothing_listening_is_a_transport_error_not_a_hang()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var options = LoadGenCommandLine.TryParse(["--url", $"ws://127.0.0.1:{port}/call-api", "--count", "5", "--json-only"], out _)!;
        var result = await new Runner(options, null).RunAsync(CancellationToken.None);
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Json);
        Assert.Equal(1, doc.RootElement.GetProperty("errors_by_kind").GetProperty("transport_connect_failed").GetInt64());
    }
}
