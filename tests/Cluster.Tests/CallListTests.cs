using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CallCluster.Cluster.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.Cluster.Tests;

/// <summary>CallList through the gateway-only process pages through 10,000 dialogs whose entities live on both call
/// nodes: every dialog once, in stable (ordinal Call-ID) order, with its state name, hold per leg and start time.
/// (Before each node answered one page at a time, this failed whenever a node's Call-IDs outgrew a remote message.)</summary>
public sealed class CallListTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Dialogs = 10_000;
    private const int PageSize = 1000;
    private const int MaxRounds = 30;
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterFixture.StartAsync(output);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact(Timeout = 240_000)]
    public Task CallList_pages_through_10000_dialogs_on_two_call_nodes() => _cluster.RunAsync(async () =>
    {
        // Call-IDs as long as phones write them: one node's whole set (~5,000 of them, ~275 KB) is more than Akka's
        // remoting frame (128 KB) carries, so only a paged listing gets through.
        var callIds = Enumerable.Range(0, Dialogs).Select(i => $"list-{i:D5}-a84b4c76e66710@pc33.cluster-test.example.com").ToList();
        await using var client = await RpcTestClient.ConnectAsync(_cluster.GatewayWs);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var nodes = _cluster.CallNodes.ToList();

        // The dialogs are made the way OpenSIPS makes them: E_DLG_STATE_CHANGED to the call nodes' EVI sockets (half
        // to each; the dialog shard of each Call-ID decides where its entity lives). UDP may drop some: each round
        // lists what the cluster tracks and sends again what is missing (a repeated transition is ignored).
        var missing = callIds;
        List<JsonElement> listed = [];
        var pages = 0;
        for (var round = 1; round <= MaxRounds && missing.Count > 0; round++)
        {
            for (var i = 0; i < missing.Count; i++)
            {
                var target = nodes[i % nodes.Count];
                await udp.SendAsync(StateChanged(missing[i], i), new IPEndPoint(IPAddress.Loopback, target.EviPort));
            }

            (listed, pages) = await ListAllAsync(client);
            var seen = listed.Select(c => Str(c, "callid")!).ToHashSet(StringComparer.Ordinal);
            missing = callIds.Where(id => !seen.Contains(id)).ToList();
            _cluster.Log($"round {round}: {seen.Count} listed in {pages} pages, {missing.Count} of ours missing");
        }

        Assert.Empty(missing);
        var ids = listed.Select(c => Str(c, "callid")!).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.True(pages >= Dialogs / PageSize, $"{pages} pages for {ids.Count} calls at {PageSize} per page");
        foreach (var call in listed.Where(c => Str(c, "callid")!.StartsWith("list-", StringComparison.Ordinal)))
        {
            Assert.Equal(("confirmed", 4), (Str(call, "state"), Int(call, "state_code")));
            Assert.False(call.GetProperty("hold").GetProperty("caller").GetBoolean());
            Assert.False(call.GetProperty("hold").GetProperty("callee").GetBoolean());
            Assert.True(DateTimeOffset.TryParse(Str(call, "started_at"), out _), call.GetRawText());
        }

        // Spread over both call nodes, as their own regions report it.
        foreach (var node in nodes)
        {
            var entities = (await node.Admin.RegionStatsAsync("dialog")).Values.Sum();
            _cluster.Log($"{node.Name}: {entities} dialog entities");
            Assert.True(entities > Dialogs / 10, $"{node.Name} hosts only {entities} dialog entities");
        }
    });

    /// <summary>Walks CallList from the first page to the one without next_cursor (at most 2x the pages expected).</summary>
    private static async Task<(List<JsonElement> Calls, int Pages)> ListAllAsync(RpcTestClient client)
    {
        var calls = new List<JsonElement>();
        string? cursor = null;
        for (var page = 1; page <= 2 * (Dialogs / PageSize) + 2; page++)
        {
            object parameters = cursor is null ? new { limit = PageSize } : new { limit = PageSize, cursor };
            var id = "list-" + page;
            await client.SendAsync(new { jsonrpc = "2.0", id, method = "CallList", @params = parameters });
            var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
            Assert.True(reply.TryGetProperty("result", out var result), reply.GetRawText());
            Assert.Equal(id, Str(reply, "id"));
            var batch = result.GetProperty("calls").EnumerateArray().ToList();
            Assert.True(batch.Count <= PageSize);
            calls.AddRange(batch);
            if (result.GetProperty("next_cursor").ValueKind == JsonValueKind.Null)
            {
                return (calls, page);
            }

            cursor = result.GetProperty("next_cursor").GetString();
        }

        throw new InvalidOperationException("CallList did not reach its last page");
    }

    private static byte[] StateChanged(string callId, int i) => Encoding.UTF8.GetBytes(
        $$$"""{"jsonrpc":"2.0","method":"E_DLG_STATE_CHANGED","params":{"id":"{{{i % 4096}}}.{{{i}}}","db_id":null,"callid":"{{{callId}}}","from_tag":"ft{{{i}}}","to_tag":"tt{{{i}}}","old_state":3,"new_state":4}}""");
}
