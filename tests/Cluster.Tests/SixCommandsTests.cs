using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>2 call nodes + 1 gateway-only process + the standalone simulator form one cluster; the six commands work
/// through the gateway-only process for commands (and calls) whose shards live on either call node.</summary>
public sealed class SixCommandsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(45);
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterFixture.StartAsync(output);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact(Timeout = 240_000)]
    public Task The_six_commands_work_through_the_gateway_on_both_call_nodes() => _cluster.RunAsync(async () =>
    {
        await using var client = await CommandTracker.ConnectAsync(_cluster.GatewayWs, _cluster.Clock, "six");
        var ranOn = new List<(string Method, string CmdId, string Round)>();

        // Round "warm": free cmd ids; the coordinator allocates their shards to the region with fewest shards, so
        // both call nodes get some.
        await RunRoundAsync(client, "warm", _ => true, ranOn);
        var hosts = await ShardsByNodeAsync();
        Assert.True(hosts.All(h => h.Value.Count > 0),
            "after the first round both call nodes should host command shards: " + string.Join("; ", hosts.Select(h => $"{h.Key.Name}: {h.Value.Count}")));

        // Then one round whose every cmd_id falls in a shard already on the oldest node, and one on the younger node.
        foreach (var node in _cluster.CallNodes)
        {
            var onNode = hosts[node];
            await RunRoundAsync(client, node.Name, id => onNode.Contains(ClusterFixture.ShardOf(id)), ranOn);
        }

        // Prove where they ran: the shard of every cmd_id, as the call nodes' own regions report it (admin endpoint).
        var located = await _cluster.LocateAsync("command", ranOn.Select(r => r.CmdId));
        foreach (var (method, cmdId, round) in ranOn)
        {
            _cluster.Log($"{round,-10} {method,-22} {cmdId,-40} shard {ClusterFixture.ShardOf(cmdId),3} on {located[cmdId]?.Name ?? "?"}");
        }

        foreach (var method in new[] { "CallStart", "CallHold", "CallUnHold", "CallBlindTransfer", "CallAttendedTransfer", "CallEnd" })
        {
            var nodes = ranOn.Where(r => r.Method == method).Select(r => located[r.CmdId]?.Name).Distinct().ToList();
            Assert.True(_cluster.CallNodes.All(n => nodes.Contains(n.Name)),
                $"{method} ran on [{string.Join(",", nodes)}], expected both call nodes");
        }

        // Calls (dialog entities) live on both nodes too.
        foreach (var node in _cluster.CallNodes)
        {
            var dialogs = await node.Admin.RegionStatsAsync("dialog");
            _cluster.Log($"{node.Name}: {dialogs.Count} dialog shards, {dialogs.Values.Sum()} dialog entities; " +
                         $"{hosts[node].Count} command shards");
            Assert.True(dialogs.Values.Sum() > 0, $"{node.Name} hosts no dialog entity");
        }
    });

    /// <summary>CallStart, CallHold, CallUnHold, CallBlindTransfer, CallEnd of the transferred call, and an attended
    /// transfer of two phone-placed calls followed by CallEnd; every command's cmd_id satisfies <paramref name="accept"/>.</summary>
    private async Task RunRoundAsync(CommandTracker client, string round, Func<string, bool> accept, List<(string, string, string)> ranOn)
    {
        var n = 0;
        string NextId(string method)
        {
            while (true)
            {
                var id = $"{round}-{method}-{n++}";
                if (accept(id))
                {
                    return id;
                }
            }
        }

        async Task<IReadOnlyList<Note>> Run(string method, Dictionary<string, object> parameters, params string[] expected)
        {
            var cmdId = NextId(method);
            parameters["cmd_id"] = cmdId;
            Assert.Equal(cmdId, await client.StartAsync(method, parameters));
            await CommandTracker.WaitUntilAsync(() => client.IsEnded(cmdId), CommandTimeout, () => Checks.Describe(client, [cmdId]));
            var notes = client.Notes(cmdId);
            Checks.NoGapNoDuplicate(cmdId, notes);
            Assert.True(expected.SequenceEqual(notes.Select(x => x.Code)),
                $"{round} {method} {cmdId}: got {string.Join(",", notes.Select(x => x.Code))} ({notes[^1].ErrorMessage}), expected {string.Join(",", expected)}");
            lock (ranOn)
            {
                ranOn.Add((method, cmdId, round));
            }

            return notes;
        }

        var p = round.Replace("-", "", StringComparison.Ordinal);
        var start = await Run("CallStart", new() { ["caller"] = $"sip:{p}-a@127.0.0.1", ["callee"] = $"sip:{p}-b@127.0.0.1" },
            "CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok");
        var call = start.Single(x => x.Data == "CALL_START").CallId!;
        await Run("CallHold", new() { ["callid"] = call }, "CALL_HOLD", "CALL_HOLD", "Ended ok");
        await Run("CallUnHold", new() { ["callid"] = call }, "CALL_UNHOLD", "CALL_UNHOLD", "Ended ok");
        var blind = await Run("CallBlindTransfer", new() { ["callid"] = call, ["leg"] = "callee", ["destination"] = $"sip:{p}-c@127.0.0.1" },
            "TRANSFER_ACCEPT", "CALL_START", "Ended ok");
        var transferred = blind.Single(x => x.Data == "CALL_START").CallId!;
        await Run("CallEnd", new() { ["callid"] = transferred }, "CALL_END", "Ended ok");

        using var mi = _cluster.NewMiClient();
        var callA = (await mi.CallAsync("sim_call", new { from = $"sip:{p}-d@127.0.0.1", to = $"sip:{p}-e@127.0.0.1" })).GetProperty("result").GetString()!;
        var callB = (await mi.CallAsync("sim_call", new { from = $"sip:{p}-d@127.0.0.1", to = $"sip:{p}-f@127.0.0.1" })).GetProperty("result").GetString()!;
        await CommandTracker.WaitUntilAsyncAsync(async () => await mi.DialogStateAsync(callA) == 4 && await mi.DialogStateAsync(callB) == 4,
            TimeSpan.FromSeconds(10), () => "phone-placed calls confirmed");
        var attended = await Run("CallAttendedTransfer",
            new() { ["callid_a"] = callA, ["leg_a"] = "callee", ["callid_b"] = callB, ["leg_b"] = "callee" },
            "TRANSFER_ACCEPT", "CALL_START", "Ended ok");
        var replaced = attended.Single(x => x.Data == "CALL_START").CallId!;
        Assert.Equal(4, await mi.DialogStateAsync(replaced));
        await Run("CallEnd", new() { ["callid"] = replaced }, "CALL_END", "Ended ok");
    }

    private async Task<Dictionary<CallNode, HashSet<string>>> ShardsByNodeAsync()
    {
        var result = new Dictionary<CallNode, HashSet<string>>();
        foreach (var node in _cluster.CallNodes)
        {
            result[node] = (await node.Admin.RegionStatsAsync("command")).Keys.ToHashSet();
        }

        return result;
    }
}
