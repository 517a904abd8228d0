using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>The write path's promise: a command whose <c>Started</c> reply reached the client is stored. The embedded
/// node is killed (SIGKILL) while several connections pipeline commands at full speed; restarted on the same journal,
/// it must know every command it had accepted, and each of them must reach its end. (With the reply sent before the
/// start is stored, this test lost 110 of 324 accepted commands.)</summary>
public sealed partial class CrashRecoveryTests
{
    private const int Connections = 4;
    private const int InFlightPerConnection = 4;
    private const int MaxCommandsPerConnection = 5000;

    /// <summary>The kill comes once this many commands were accepted (so it lands mid-load whatever the machine's
    /// speed), or after <see cref="MaxLoadBeforeKill"/>.</summary>
    private const int AcceptedBeforeKill = 300;
    private static readonly TimeSpan MaxLoadBeforeKill = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 240_000)]
    public async Task Kill_9_under_load_loses_no_accepted_command()
    {
        await StartSimulatorAsync("4s");
        await UseJournalAsync("embedded");
        var endpoint = new Uri($"ws://127.0.0.1:{_wsPort}/call-api");
        var node = await StartNodeAsync();
        var accepted = new ConcurrentDictionary<string, string>(); // cmd_id → method
        using var stopSending = new CancellationTokenSource();
        var loops = Enumerable.Range(0, Connections).Select(c => Task.Run(() => PipelineAsync(endpoint, c, accepted, stopSending.Token))).ToList();

        var loadStarted = DateTime.UtcNow;
        while (accepted.Count < AcceptedBeforeKill && DateTime.UtcNow - loadStarted < MaxLoadBeforeKill && !loops.All(l => l.IsCompleted))
        {
            await Task.Delay(20);
        }

        var acceptedAtKill = accepted.Count;
        await node.KillAsync();
        stopSending.Cancel();
        var sent = (await Task.WhenAll(loops)).Sum();
        await node.DisposeAsync();
        Console.WriteLine($"sent {sent} commands, {accepted.Count} accepted ({acceptedAtKill} when the kill was sent), " +
                         $"{accepted.Values.Count(m => m == "CallStart")} of them CallStart");
        Assert.True(accepted.Count >= 50, $"only {accepted.Count} commands accepted before the kill: the test would prove little");

        await using var restarted = await StartNodeAsync();
        await using var client = await RpcTestClient.ConnectAsync(endpoint);
        var unknown = new List<string>();
        var stillRunning = new List<string>();
        var id = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        foreach (var cmdId in accepted.Keys.Order())
        {
            // Each accepted command must be known, and must end: the query wakes one that was in flight, which then
            // resumes from its journal (bounded: the whole check has 90 s).
            while (true)
            {
                await client.SendAsync(new { jsonrpc = "2.0", id = ++id, method = "CommandGet", @params = new { cmd_id = cmdId } });
                var reply = await ReplyAsync(client, id);
                if (reply.TryGetProperty("error", out var error))
                {
                    unknown.Add($"{cmdId}: {error.GetRawText()}");
                    break;
                }

                var status = Str(reply, "result", "status");
                if (status != "running")
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    stillRunning.Add(cmdId);
                    break;
                }

                await Task.Delay(200);
            }
        }

        Assert.True(unknown.Count == 0, $"{unknown.Count} accepted commands unknown after the restart:\n" + string.Join("\n", unknown.Take(20)));
        Assert.True(stillRunning.Count == 0, $"{stillRunning.Count} accepted commands never ended: " + string.Join(", ", stillRunning.Take(20)));
    }

    /// <summary>One connection sending as fast as the in-flight window allows until the node dies or the bound is
    /// reached; records each command whose Started reply arrived. Returns how many it sent.</summary>
    private static async Task<int> PipelineAsync(Uri endpoint, int connection, ConcurrentDictionary<string, string> accepted,
        CancellationToken stop)
    {
        await using var client = await RpcTestClient.ConnectAsync(endpoint);
        var outstanding = new Dictionary<int, (string CmdId, string Method)>();
        var sent = 0;
        try
        {
            while (sent < MaxCommandsPerConnection && !stop.IsCancellationRequested)
            {
                while (outstanding.Count < InFlightPerConnection && sent < MaxCommandsPerConnection)
                {
                    var n = sent++;
                    var cmdId = $"kill-{connection}-{n:00000}";
                    // Mostly CallEnd of calls the proxy does not know (fast: they end -32001), one in ten a CallStart
                    // whose callee answers slowly, so some commands are mid-flow when the node dies.
                    object request = n % 10 == 0
                        ? new { jsonrpc = "2.0", id = n, method = "CallStart", @params = new { caller = $"sip:k{connection}x{n}@127.0.0.1", callee = $"sip:slow-k{connection}y{n}@127.0.0.1", cmd_id = cmdId } }
                        : new { jsonrpc = "2.0", id = n, method = "CallEnd", @params = new { callid = $"nosuch-{connection}-{n}", cmd_id = cmdId } };
                    outstanding[n] = (cmdId, n % 10 == 0 ? "CallStart" : "CallEnd");
                    await client.SendAsync(request);
                }

                var message = await client.ReceiveAsync(TimeSpan.FromSeconds(10));
                if (IsReply(message) && int.TryParse(Str(message, "id"), out var replyId) && outstanding.Remove(replyId, out var command)
                    && message.TryGetProperty("result", out _))
                {
                    accepted[command.CmdId] = command.Method;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            // The node was killed: what was accepted so far is what counts.
        }

        return sent;
    }

    private static async Task<JsonElement> ReplyAsync(RpcTestClient client, int id)
    {
        while (true)
        {
            var message = await client.ReceiveAsync(TimeSpan.FromSeconds(15));
            if (IsReply(message) && Str(message, "id") == id.ToString())
            {
                return message;
            }
        }
    }
}
