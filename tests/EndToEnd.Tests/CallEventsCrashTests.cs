using System.Net.Http.Json;
using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>A node process killed (SIGKILL) while a webhook POST is in flight, restarted on the same journal: the
/// endpoint resumes from its outbox and delivers every event of the call, the interrupted one again under the same
/// delivery id. The webhook comes from CALLCLUSTER_WEBHOOK_URL / CALLCLUSTER_WEBHOOK_SECRET, as an operator sets it.</summary>
public sealed class CallEventsCrashTests : IAsyncLifetime
{
    private const string Secret = "crash-secret";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-events-crash-").FullName;
    private readonly int _miPort = FreePort.Udp();
    private readonly int _eviPort = FreePort.Udp();
    private readonly int _wsPort = FreePort.Tcp();
    private readonly int _adminPort = FreePort.Tcp();
    private readonly List<ChildProcess> _processes = [];
    private WebhookReceiver? _receiver;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }

        TempDirectory.DeleteBestEffort(_dir);
    }

    private async Task<ChildProcess> StartNodeAsync()
    {
        var node = await ChildProcess.StartAsync("Node", "", new Dictionary<string, string>
        {
            ["CALLCLUSTER_DB"] = Path.Combine(_dir, "callcluster.db"),
            ["CALLCLUSTER_MI"] = $"127.0.0.1:{_miPort}",
            ["CALLCLUSTER_WS_PORT"] = _wsPort.ToString(),
            ["CALLCLUSTER_EVI_PORT"] = _eviPort.ToString(),
            ["CALLCLUSTER_ADMIN_PORT"] = _adminPort.ToString(),
            ["CALLCLUSTER_WEBHOOK_URL"] = _receiver!.Url.ToString(),
            ["CALLCLUSTER_WEBHOOK_SECRET"] = Secret,
        }, "Call API listening on", StartTimeout);
        _processes.Add(node);
        return node;
    }

    [Fact(Timeout = 180_000)]
    public async Task A_node_killed_mid_delivery_delivers_every_event_after_its_restart()
    {
        var simConfig = Path.Combine(_dir, "sim.conf");
        await File.WriteAllTextAsync(simConfig, $"callcluster.simulator {{ mi-port = {_miPort}, answer-delay = 20ms }}");
        _processes.Add(await ChildProcess.StartAsync("Simulator", $"--config \"{simConfig}\"", new Dictionary<string, string>(),
            "listening on udp:", StartTimeout));
        _receiver = await WebhookReceiver.StartAsync(Secret);
        var answering = false;
        _receiver.Behaviour = (_, _) => answering ? 200 : null; // holds every POST until the node is gone
        var node = await StartNodeAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_adminPort}"), Timeout = TimeSpan.FromSeconds(10) };
        // A new endpoint delivers what comes after it started: wait until callctl webhooks list shows its position.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(await AdminAsync(admin, "list")).Any(r => r[0] == "default" && long.Parse(r[4]) >= 0))
        {
            Assert.True(DateTime.UtcNow < deadline, "the webhook endpoint from CALLCLUSTER_WEBHOOK_URL did not start");
            await Task.Delay(100);
        }

        using var phones = new SimPhones(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _miPort));
        var callId = await phones.AnsweredCallAsync("sip:crash-alice@127.0.0.1", "sip:crash-bob@127.0.0.1");
        await phones.HangUpAsync(callId);

        // All three events are in the journal (read back over the WebSocket), and the first POST hangs at the receiver.
        var endpoint = new Uri($"ws://127.0.0.1:{_wsPort}/call-api");
        await using (var client = await RpcTestClient.ConnectAsync(endpoint))
        {
            await client.SendAsync(new { jsonrpc = "2.0", id = 1, method = "EventsSubscribe", @params = new { callid = callId, after = "0" } });
            await client.ReceiveUntilAsync(m => m.Any(x => Str(x, "params", "event") == "call.ended"), TimeSpan.FromSeconds(20));
        }

        var inFlight = await _receiver.WaitForAsync(r => r.Any(x => x.CallId == callId), TimeSpan.FromSeconds(20), "the first POST");
        var interrupted = inFlight.First(x => x.CallId == callId);
        Assert.Equal("call.ringing", interrupted.Event);
        await node.KillAsync();

        answering = true;
        await StartNodeAsync();
        var all = await _receiver.WaitForAsync(r => r.Any(x => x.CallId == callId && x.Event == "call.ended"), TimeSpan.FromSeconds(60),
            "call.ended after the restart");
        var mine = all.Where(x => x.CallId == callId).ToList();
        Assert.All(mine, r => Assert.True(r.SignatureOk));
        Assert.Equal(["call.ringing", "call.answered", "call.ended"], mine.Select(r => r.Event).Distinct().ToArray());
        Assert.Equal(interrupted.DeliveryId, mine.Last(r => r.Event == "call.ringing").DeliveryId);
        Assert.True(mine.Count(r => r.Event == "call.ringing") >= 2, "the interrupted delivery was made again after the restart");

        // Run-time endpoints through the admin palette: added (persisted), listed, removed; the dead-letter list.
        Assert.Empty(await AdminAsync(admin, "add", "crm", _receiver.Url.ToString(), "s3cret", "call.ringing,call.ended"));
        Assert.Contains(await AdminAsync(admin, "list"), r => r[0] == "crm" && r[2] == "call.ringing,call.ended" && r[3] == "admin");
        Assert.Empty(await AdminAsync(admin, "dead", "default"));
        Assert.Empty(await AdminAsync(admin, "remove", "crm"));
        Assert.DoesNotContain(await AdminAsync(admin, "list"), r => r[0] == "crm");
    }

    /// <summary><c>callctl webhooks VERB ARGS</c> over the admin endpoint's HTTP API: the rows (failures fail the test).</summary>
    private static async Task<List<string[]>> AdminAsync(HttpClient admin, string verb, params string[] args)
    {
        using var response = await admin.PostAsJsonAsync($"/admin/v1/webhooks/{verb}", new { args });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"webhooks {verb}: {(int)response.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        Assert.True(doc.RootElement.GetProperty("status").GetString() is "Ok" or "ok", $"webhooks {verb}: {text}");
        return doc.RootElement.TryGetProperty("rows", out var rows)
            ? rows.EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()!).ToArray()).ToList()
            : [];
    }
}
