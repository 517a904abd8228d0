using CallCluster.Cluster.Tests.Support;

namespace CallCluster.Cluster.Tests;

/// <summary>SIGTERM to a call node during load: 50 CallStart waiting for slow callees, and 20 calls held and unheld
/// in a loop from before the signal until after the node has gone (so hold events are raised throughout the hand-over).
/// The node leaves gracefully (CoordinatedShutdown, shard hand-off, singleton hand-over) and not one command fails.
/// The leaving node is the oldest, so the EVI subscription singleton and the shard coordinators move too.</summary>
public sealed class GracefulLeaveTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Starts = 50;
    private const int HeldCalls = 20;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private ClusterFixture _cluster = null!;

    // Slow callees keep the CallStarts in flight across the leave; re-INVITEs answered after 300 ms.
    public async Task InitializeAsync() => _cluster = await ClusterFixture.StartAsync(output,
        new ClusterOptions(Simulator: "slow-answer-delay = 8s\nin-dialog-delay = 300ms"));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact(Timeout = 300_000)]
    public Task SIGTERM_of_a_call_node_during_load_fails_no_command() => _cluster.RunAsync(async () =>
    {
        var clock = _cluster.Clock;
        using var mi = _cluster.NewMiClient();
        // Calls placed by the phones themselves, to be held and unheld during the leave.
        var calls = new List<string>();
        for (var i = 0; i < HeldCalls; i++)
        {
            calls.Add((await mi.CallAsync("sim_call", new { from = $"sip:leave{i}-x@127.0.0.1", to = $"sip:leave{i}-y@127.0.0.1" }))
                .GetProperty("result").GetString()!);
        }

        await CommandTracker.WaitUntilAsyncAsync(async () =>
        {
            foreach (var call in calls)
            {
                if (await mi.DialogStateAsync(call) != 4)
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(20), () => "phone-placed calls confirmed");

        await using var client = await CommandTracker.ConnectAsync(_cluster.GatewayWs, clock, "leave");
        var starts = Enumerable.Range(0, Starts).Select(i => $"leave-start-{i:00}").ToList();
        await Task.WhenAll(starts.Select((id, i) => client.StartAsync("CallStart", new
        {
            caller = $"sip:leave{i}-a@127.0.0.1",
            callee = $"sip:slow-leave{i}-b@127.0.0.1",
            cmd_id = id,
        })));
        await CommandTracker.WaitUntilAsync(() => starts.All(id => client.Notes(id).Any(n => n.Data == "CALL_START")),
            TimeSpan.FromSeconds(60), () => Checks.Describe(client, starts));

        // Hold/unhold cycles on every call until told to stop; each cycler stops at its call's first failure.
        var cycled = new List<string>();
        var refused = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var cyclers = calls.Select((call, c) => Task.Run(async () =>
        {
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                foreach (var method in new[] { "CallHold", "CallUnHold" })
                {
                    var id = $"leave-{method[4..].ToLowerInvariant()}-{c:00}-{round:000}";
                    lock (cycled)
                    {
                        cycled.Add(id);
                    }

                    var sentAt = clock.Elapsed;
                    try
                    {
                        await client.StartAsync(method, new { callid = call, cmd_id = id });
                    }
                    catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                    {
                        // A request the cluster could not take is as failed as a command that ended failed.
                        refused[id] = $"sent at +{Checks.Seconds(sentAt)}s, answered at +{Checks.Seconds(clock.Elapsed)}s: {e.Message}";
                        return;
                    }

                    await CommandTracker.WaitUntilAsync(() => client.IsEnded(id), CommandTimeout, () => Checks.Describe(client, [id]));
                    if (client.Notes(id)[^1].Status != "ok")
                    {
                        return;
                    }
                }
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var leaver = _cluster.Oldest;
        var running = starts.Concat(Snapshot(cycled)).Where(id => !client.IsEnded(id)).ToList();
        var hosts = await _cluster.LocateAsync("command", running);
        _cluster.Log($"{running.Count} commands in flight ({running.Count(id => hosts[id] == leaver)} on {leaver.Name}): SIGTERM to it");
        Assert.True(running.Any(id => hosts[id] == leaver), $"no command in flight on {leaver.Name}");

        var termAt = clock.Elapsed;
        leaver.Process.Terminate();
        await leaver.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var exitedAt = clock.Elapsed;
        // Every kept line, not only the last ones printed on failure: a busy shutdown logs more than those.
        Assert.Contains(leaver.Process.Lines, l => l.Contains("CoordinatedShutdown invoked", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(cyclers).WaitAsync(TimeSpan.FromSeconds(120));

        var all = starts.Concat(Snapshot(cycled)).Where(id => !refused.ContainsKey(id)).ToList();
        await CommandTracker.WaitUntilAsync(() => all.All(client.IsEnded), TimeSpan.FromSeconds(120),
            () => "not Ended:\n" + Checks.Describe(client, all.Where(id => !client.IsEnded(id))));
        var allEnded = clock.Elapsed;

        foreach (var id in all)
        {
            Checks.NoGapNoDuplicate(id, client.Notes(id));
        }

        var failed = all.Where(id => client.Notes(id)[^1].Status != "ok").ToList();
        var ended = all.ToDictionary(id => id, id => client.Notes(id)[^1]);
        Assert.True(failed.Count == 0 && refused.IsEmpty, $"{refused.Count} requests refused, {failed.Count} of {all.Count} commands failed (SIGTERM at +{Checks.Seconds(termAt)}s, " +
            $"{leaver.Name} exited at +{Checks.Seconds(exitedAt)}s):\n" +
            string.Join("\n", refused.Select(r => $"{r.Key} refused ({r.Value})").Concat(failed.Select(id => $"{id} (started before +{Checks.Seconds(client.Notes(id)[0].At)}s, ended +{Checks.Seconds(ended[id].At)}s): " +
                                                  $"{ended[id].ErrorCode} {ended[id].ErrorMessage}"))));
        foreach (var id in starts)
        {
            Assert.Equal(["CALL_ANSWER", "TRANSFER_ACCEPT", "CALL_START", "CALL_ANSWER", "Ended ok"], client.Notes(id).Select(n => n.Code));
        }

        // The singleton moved with the leave: the survivor's listener is subscribed, the leaver's withdrawn.
        await CommandTracker.WaitUntilAsyncAsync(() => _cluster.SubscribedAsync(_cluster.Younger.EviSocket), TimeSpan.FromSeconds(30),
            () => "survivor subscribed");
        var subs = await _cluster.SubscribersAsync();
        foreach (var e in ClusterFixture.CallEvents)
        {
            Assert.Equal([_cluster.Younger.EviSocket], subs.GetValueOrDefault(e, []));
        }

        _cluster.Log($"GRACEFUL LEAVE of {leaver.Name}: process exited {Checks.Seconds(exitedAt - termAt)}s after SIGTERM; " +
                     $"{all.Count} commands ({Starts} CallStart, {all.Count - Starts} holds/unholds) all Ended ok, the last " +
                     $"{Checks.Seconds(allEnded - termAt)}s after SIGTERM");
    });

    private static List<string> Snapshot(List<string> list)
    {
        lock (list)
        {
            return list.ToList();
        }
    }
}
