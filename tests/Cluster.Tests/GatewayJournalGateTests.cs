using System.Diagnostics;
using System.Text.Json;
using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>PostgreSQL lost under a running cluster, seen from the gateway-only process, which has no journal of its
/// own (docs/faults-and-bad-input.md, "Proxy and journal faults"): the call nodes reach the database through a TCP relay
/// the test cuts. Once both call nodes report their journal down (Distributed Data), the gateway answers new commands
/// -32003 at once instead of after its ask timeout (30 s in this fixture); once it answers again, commands run.</summary>
public sealed class GatewayJournalGateTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ClusterFixture _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await ClusterFixture.StartAsync(output, new ClusterOptions(JournalThroughRelay: true));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact(Timeout = 240_000)]
    public Task The_gateway_only_process_refuses_new_commands_at_once_while_the_call_nodes_journal_is_down() => _cluster.RunAsync(async () =>
    {
        if (_cluster.JournalRelay is not { } relay)
        {
            output.WriteLine("CALLCLUSTER_TEST_PG not set: the case needs PostgreSQL behind a relay (CI has one)");
            return;
        }

        await using var client = await CommandTracker.ConnectAsync(_cluster.GatewayWs, _cluster.Clock, "gw");
        var before = await client.StartAsync("CallStart", new { caller = "sip:gate-a@127.0.0.1", callee = "sip:gate-b@127.0.0.1" });
        await CommandTracker.WaitUntilAsync(() => client.IsEnded(before), TimeSpan.FromSeconds(30), () => "CallStart before the cut");
        Assert.Contains(client.Notes(before), n => n.IsEnded && n.Status == "ok");

        relay.Cut();
        var cutAt = _cluster.Clock.Elapsed;
        _cluster.Log("cut the call nodes' PostgreSQL connections");
        await _cluster.Gateway.WaitForLineAsync("new commands are refused -32003", TimeSpan.FromSeconds(30));
        var gated = _cluster.Clock.Elapsed - cutAt;

        var answers = new List<(JsonElement Reply, TimeSpan In)>();
        for (var i = 0; i < 5; i++)
        {
            var asked = Stopwatch.StartNew();
            var reply = await client.RequestAsync("CallStart", new { caller = $"sip:down{i}-a@127.0.0.1", callee = $"sip:down{i}-b@127.0.0.1" },
                TimeSpan.FromSeconds(40));
            answers.Add((reply, asked.Elapsed));
        }

        _cluster.Log($"gateway gated {gated.TotalSeconds:0.0} s after the cut; 5 CallStarts answered in " +
                     string.Join(", ", answers.Select(a => $"{a.In.TotalMilliseconds:0} ms")) + ": " + answers[0].Reply.GetRawText());
        Assert.All(answers, a =>
        {
            Assert.True(a.Reply.TryGetProperty("error", out var error), a.Reply.GetRawText());
            Assert.Equal(-32003, error.GetProperty("code").GetInt32());
            Assert.Contains("journal", error.GetProperty("data").GetString());
            Assert.True(a.In < TimeSpan.FromSeconds(5), $"answered after {a.In} (the ask timeout is 30 s)");
        });

        relay.Restore();
        var restoredAt = _cluster.Clock.Elapsed;
        await _cluster.Gateway.WaitForLineAsync("journal answers again", TimeSpan.FromSeconds(60));
        _cluster.Log($"gateway forwards again {(_cluster.Clock.Elapsed - restoredAt).TotalSeconds:0.0} s after the relay came back");
        var after = await client.StartAsync("CallStart", new { caller = "sip:after-a@127.0.0.1", callee = "sip:after-b@127.0.0.1" });
        await CommandTracker.WaitUntilAsync(() => client.IsEnded(after), TimeSpan.FromSeconds(60), () => "CallStart after the outage");
        Assert.Contains(client.Notes(after), n => n.IsEnded && n.Status == "ok");
    });
}
