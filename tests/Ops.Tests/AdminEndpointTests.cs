extern alias callctl;
using System.Net;
using System.Text.Json;
using Akka.Cluster;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting.Admin;
using CallCluster.Hosting.Metrics;
using CallCluster.Ops.Tests.Support;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CallCluster.Ops.Tests;

/// <summary>Every built-in verb over real HTTP through the real callctl code, its pbm and JSON output and exit codes,
/// the probes and /metrics, against a real one-node cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AdminEndpointTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private string Self => Cluster.Get(fixture.System).SelfAddress.ToString();

    private Task<CtlResult> Ctl(params string[] args) => TestCluster.CtlAsync(fixture.Endpoint, args);

    /// <summary>pbm output: [message], the column names, one line per row, <c>Count: N</c>.</summary>
    private static void AssertPbm(CtlResult result, int rows, IReadOnlyList<string> columns)
    {
        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal($"Count: {rows}", result.Lines[^1]);
        Assert.Equal(string.Join(" | ", columns), result.Lines[^(rows + 2)]);
    }

    /// <summary>The row lines, between the header and the count.</summary>
    private static IReadOnlyList<string> Rows(CtlResult result)
    {
        var rows = int.Parse(result.Lines[^1]["Count: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        return result.Lines.Skip(result.Lines.Count - 1 - rows).Take(rows).ToList();
    }

    [Fact]
    public async Task Cluster_show_prints_a_header_then_one_pipe_delimited_line_per_member_then_the_count()
    {
        var result = await Ctl("cluster", "show");
        AssertPbm(result, 1, ClusterPalette.MemberColumns);
        Assert.Equal("address | status | roles | reachability | app-version", result.Lines[0]);
        Assert.Equal($"{Self} | Up | call-node,gateway | reachable | {Cluster.Get(fixture.System).SelfMember.AppVersion}", result.Lines[1]);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Cluster_show_json_is_the_structured_result()
    {
        var result = await Ctl("--json", "cluster", "show");
        Assert.True(result.Exit == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("Ok", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal(["address", "status", "roles", "reachability", "app-version"],
            doc.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray());
        var row = Assert.Single(doc.RootElement.GetProperty("rows").EnumerateArray().ToList());
        Assert.Equal(Self, row[0].GetString());
        Assert.Equal("Up", row[1].GetString());
    }

    [Fact]
    public async Task Cluster_status_and_leader_describe_this_node()
    {
        var status = await Ctl("cluster", "status");
        AssertPbm(status, 1, ClusterPalette.StatusColumns);
        Assert.Equal($"{Self} | Up | {Self} | 1 | 0", Rows(status)[0]);

        var leader = await Ctl("cluster", "leader");
        AssertPbm(leader, 3, ClusterPalette.LeaderColumns);
        Assert.Equal($"* | {Self}", Rows(leader)[0]);
        Assert.Contains($"call-node | {Self}", leader.Lines);
        Assert.Contains($"gateway | {Self}", leader.Lines);
    }

    [Fact]
    public async Task Cluster_down_and_leave_refuse_addresses_that_are_not_members()
    {
        var down = await Ctl("cluster", "down", "akka.tcp://callcluster@10.255.255.1:4053");
        Assert.True(down.Exit == 1, down.ToString());
        Assert.Contains("not a member", down.Stderr);

        var leave = await Ctl("cluster", "leave", "akka.tcp://callcluster@10.255.255.1:4053");
        Assert.True(leave.Exit == 1, leave.ToString());

        var garbage = await Ctl("cluster", "down", "not-an-address");
        Assert.True(garbage.Exit == 1, garbage.ToString());
        Assert.Contains("not an address", garbage.Stderr);
        Assert.Equal(MemberStatus.Up, Cluster.Get(fixture.System).SelfMember.Status);
    }

    [Fact]
    public async Task Cluster_down_unreachable_with_none_unreachable_downs_nothing()
    {
        var result = await Ctl("cluster", "down-unreachable");
        AssertPbm(result, 0, ClusterPalette.AddressColumns);
        Assert.Equal(["no unreachable members", "address", "Count: 0"], result.Lines);
    }

    [Fact]
    public async Task Cluster_join_of_its_own_cluster_is_accepted()
    {
        var result = await Ctl("cluster", "join", Self);
        AssertPbm(result, 1, ClusterPalette.AddressColumns);
        Assert.Equal(Self, Rows(result)[0]);
        await Task.Delay(200);
        Assert.Equal(MemberStatus.Up, Cluster.Get(fixture.System).SelfMember.Status);
    }

    [Fact]
    public async Task Cluster_tail_streams_membership_until_interrupted()
    {
        using var cts = new CancellationTokenSource();
        var stdout = new LockedWriter();
        var stderr = new LockedWriter();
        var run = callctl::CallCluster.Admin.CallCtl.RunAsync(
            ["--endpoint", $"127.0.0.1:{fixture.Endpoint.Port}", "cluster", "tail"], stdout, stderr, _ => null, cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!stdout.Text.Contains("MemberUp") && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            await Task.Delay(50);
        }

        Assert.False(run.IsCompleted, "tail ended by itself: " + stdout.Text + stderr.Text);
        var line = stdout.Text.Split('\n').First(l => l.Contains("MemberUp"));
        var columns = line.Split(" | ");
        Assert.Equal(["MemberUp", Self, "Up", "call-node,gateway"], columns[1..]);
        // The header once, first: the stream's items all have the same columns.
        Assert.Equal(string.Join(" | ", ClusterPalette.TailColumns), stdout.Text.Split('\n')[0]);
        Assert.Single(stdout.Text.Split('\n'), l => l == string.Join(" | ", ClusterPalette.TailColumns));
        Assert.Contains(stdout.Text.Split('\n'), l => l.Contains("LeaderChanged"));

        await cts.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Sharding_regions_lists_the_local_regions_and_proxies_with_their_shards_and_entities()
    {
        var result = await Ctl("sharding", "regions");
        AssertPbm(result, 2, ShardingPalette.RegionColumns);
        var expectedShards = fixture.EntityIds.Select(id => ShardingPalette.ShardIdOf(id, 100)).Distinct().Count();
        Assert.Equal($"{ShardRegions.Dialog} | proxy | 0 | 0", Rows(result)[0]);
        Assert.Equal($"{TestCluster.EntityType} | region | {expectedShards} | {fixture.EntityIds.Count}", Rows(result)[1]);
    }

    [Fact]
    public async Task Sharding_region_stats_lists_shards_and_entity_counts()
    {
        var result = await Ctl("--json", "sharding", "region-stats", TestCluster.EntityType);
        Assert.True(result.Exit == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Stdout);
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray()
            .ToDictionary(r => r[0].GetString()!, r => int.Parse(r[1].GetString()!));
        var expected = fixture.EntityIds.GroupBy(id => ShardingPalette.ShardIdOf(id, 100)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected.OrderBy(kv => kv.Key), rows.OrderBy(kv => kv.Key));

        var pbm = await Ctl("sharding", "region-stats", TestCluster.EntityType);
        AssertPbm(pbm, expected.Count, ShardingPalette.RegionStatsColumns);
    }

    [Fact]
    public async Task Sharding_cluster_stats_has_one_region_per_member()
    {
        var result = await Ctl("sharding", "cluster-stats", TestCluster.EntityType);
        AssertPbm(result, 1, ShardingPalette.ClusterStatsColumns);
        var shards = fixture.EntityIds.Select(id => ShardingPalette.ShardIdOf(id, 100)).Distinct().Count();
        Assert.Equal($"{Self} | {shards} | {fixture.EntityIds.Count}", Rows(result)[0]);
    }

    [Fact]
    public async Task Sharding_locate_uses_the_extractors_shard_id_and_finds_the_owner()
    {
        var shard = new CommandMessageExtractor(100).ShardId("bravo", null);
        Assert.Equal(shard, ShardingPalette.ShardIdOf("bravo", 100));

        var result = await Ctl("sharding", "locate", TestCluster.EntityType, "bravo");
        AssertPbm(result, 1, ShardingPalette.LocateColumns);
        Assert.Equal($"{TestCluster.EntityType} | bravo | {shard} | {Self}", Rows(result)[0]);
    }

    [Fact]
    public async Task Sharding_verbs_of_an_unknown_type_fail()
    {
        var result = await Ctl("sharding", "region-stats", "no-such-type");
        Assert.True(result.Exit == 1, result.ToString());
        Assert.Contains("no shard region", result.Stderr);
        Assert.Contains(TestCluster.EntityType, result.Stderr);
    }

    [Theory]
    [InlineData("nope", "show")]
    [InlineData("cluster", "nope")]
    [InlineData("cluster", "down")]
    [InlineData("sharding", "locate", "only-type")]
    [InlineData("cluster", "show", "extra")]
    public async Task Unknown_palettes_verbs_and_wrong_arguments_are_usage_errors(params string[] args)
    {
        var result = await Ctl(args);
        Assert.True(result.Exit == 2, result.ToString());
        Assert.StartsWith("callctl: ", result.Stderr);
    }

    [Theory]
    [InlineData]
    [InlineData("cluster")]
    [InlineData("--bogus", "cluster", "show")]
    [InlineData("--url", "ws://127.0.0.1:1/call-api", "cluster", "show")]
    public async Task Command_lines_callctl_cannot_parse_exit_2(params string[] args)
    {
        var result = await TestCluster.CtlAsync(null, args);
        Assert.True(result.Exit == 2, result.ToString());
    }

    [Fact]
    public async Task An_unreachable_endpoint_exits_1()
    {
        var port = FreePort.Tcp(); // nothing listens there
        var result = await TestCluster.CtlAsync(new IPEndPoint(IPAddress.Loopback, port), "cluster", "show");
        Assert.True(result.Exit == 1, result.ToString());
        Assert.Contains("cannot reach the admin endpoint", result.Stderr);
    }

    [Fact]
    public async Task The_endpoint_defaults_to_loopback_and_CALLCLUSTER_ADMIN_PORT()
    {
        var env = new Dictionary<string, string> { [AdminProtocol.PortVariable] = fixture.Endpoint.Port.ToString() };
        var result = await TestCluster.CtlWithEnvAsync(null, name => env.GetValueOrDefault(name), CancellationToken.None,
            "cluster", "status");
        AssertPbm(result, 1, ClusterPalette.StatusColumns);
        Assert.Equal(new Uri("http://127.0.0.1:9110"), callctl::CallCluster.Admin.CallCtl.EndpointUri(null, _ => null));
    }

    [Fact]
    public async Task Extra_palettes_are_served_with_their_results_failures_and_streams()
    {
        var echo = await Ctl("test", "echo", "a", "b c");
        AssertPbm(echo, 2, TestPalette.Columns);
        Assert.Equal(["echoed", "index | arg", "0 | a", "1 | b c", "Count: 2"], echo.Lines);

        var fail = await Ctl("test", "fail");
        Assert.True(fail.Exit == 1, fail.ToString());
        Assert.Equal("callctl: call not found", fail.Stderr.Trim());

        var bug = await Ctl("--json", "test", "throw");
        Assert.True(bug.Exit == 1, bug.ToString());
        Assert.Contains("palette bug", bug.Stdout);

        var stream = await Ctl("test", "count", "3");
        Assert.Equal(["index | arg", "0 | row", "1 | row", "2 | row", "Count: 3"], stream.Lines);
        Assert.Equal(0, stream.Exit);

        var help = await Ctl("help");
        Assert.Equal(0, help.Exit);
        Assert.Equal("verb | description", help.Lines[0]);
        Assert.Contains(help.Lines, l => l.StartsWith("test echo <arg>... | ", StringComparison.Ordinal));
        Assert.Contains(help.Lines, l => l.StartsWith("cluster down <address> | ", StringComparison.Ordinal));
        Assert.Contains(help.Lines, l => l.StartsWith("sharding locate <type> <id> | ", StringComparison.Ordinal));
    }

    [Fact]
    public void The_built_callctl_binary_has_the_same_output_and_exit_codes()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "callctl.dll");
        Assert.True(File.Exists(dll), dll);

        var show = Repo.Run("dotnet", dll, "--endpoint", $"127.0.0.1:{fixture.Endpoint.Port}", "cluster", "show")!.Value;
        Assert.True(show.Exit == 0, show.Stderr);
        Assert.EndsWith("Count: 1", show.Stdout.TrimEnd());
        Assert.StartsWith($"address | status | roles | reachability | app-version\n{Self} | Up | ", show.Stdout.ReplaceLineEndings("\n"));

        var usage = Repo.Run("dotnet", dll, "cluster")!.Value;
        Assert.Equal(2, usage.Exit);
        var help = Repo.Run("dotnet", dll, "--help")!.Value;
        Assert.Equal(0, help.Exit);
        Assert.Contains("Usage:\n  callctl [command] [options]", help.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_endpoints_report_live_and_ready_from_member_status_and_the_callback()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.Endpoint.Port}") };
        var live = await http.GetAsync(AdminProtocol.LivePath);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Contains("\"live\"", await live.Content.ReadAsStringAsync());

        var ready = await http.GetAsync(AdminProtocol.ReadyPath);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("connector ok", await ready.Content.ReadAsStringAsync());

        fixture.Readiness.Result = HealthCheckResult.Unhealthy("MI unreachable");
        try
        {
            var notReady = await http.GetAsync(AdminProtocol.ReadyPath);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("MI unreachable", await notReady.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(AdminProtocol.LivePath)).StatusCode);
        }
        finally
        {
            fixture.Readiness.Result = HealthCheckResult.Healthy("connector ok");
        }
    }

    [Fact]
    public async Task Metrics_are_scraped_in_the_Prometheus_text_format_with_every_callcluster_metric()
    {
        CallClusterMetrics.CommandStarted("CallEnd");
        CallClusterMetrics.CommandEnded("CallEnd", "ok", TimeSpan.FromMilliseconds(120));
        CallClusterMetrics.MiRequestSent("dlg_end_dlg");
        CallClusterMetrics.MiReplyReceived("dlg_end_dlg", TimeSpan.FromMilliseconds(3));
        CallClusterMetrics.MiTimedOut("dlg_list");
        CallClusterMetrics.MiReplyReceived("dlg_list", TimeSpan.FromSeconds(5), error: true);
        CallClusterMetrics.EviDatagramReceived();
        CallClusterMetrics.EviDatagramMalformed();
        CallClusterMetrics.EviEventRouted("E_DLG_STATE_CHANGED");
        CallClusterMetrics.WebSocketOpened();
        CallClusterMetrics.WebSocketClosed();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.Endpoint.Port}") };
        string[] expected =
        [
            "callcluster_commands_total{method=\"CallEnd\",outcome=\"ok\"}",
            "callcluster_command_duration_seconds_bucket{method=\"CallEnd\",outcome=\"ok\",le=\"0.25\"}",
            "callcluster_mi_timeouts_total{method=\"dlg_list\"}",
            "callcluster_evi_events_routed_total{event=\"E_DLG_STATE_CHANGED\"}",
            "callcluster_cluster_members{status=\"up\"} 1",
            "callcluster_cluster_self_up 1",
            "callcluster_cluster_is_leader 1",
            $"callcluster_entities{{type=\"{TestCluster.EntityType}\"}} {fixture.EntityIds.Count}",
        ];
        string text;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var response = await http.GetAsync(AdminProtocol.MetricsPath);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
            text = await response.Content.ReadAsStringAsync();
            if (expected.All(text.Contains) || DateTime.UtcNow > deadline)
            {
                break;
            }

            // The gauges are refreshed by the collector (every second here).
            await Task.Delay(200);
        }

        foreach (var name in CallClusterMetrics.Names)
        {
            Assert.Contains($"# TYPE {name} ", text);
        }

        Assert.All(expected, line => Assert.Contains(line, text));
    }
}
