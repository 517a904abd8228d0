using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using CallCluster.Hosting.Security;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests.Security;

/// <summary>Issue 17 against the embedded default as a real process, its whole output captured: tokens (configured,
/// wrong, issued with the tokens palette) and browser tickets never appear in its logs, every command has an audit
/// line naming the token's id, a token issued through the registry works at once and its revocation closes the
/// connection it opened within 1 s. And a gateway on a non-loopback address with no token refuses to start.</summary>
public sealed class SecretsAndRegistryTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-security-").FullName;

    [Fact(Timeout = 240_000)]
    public async Task Secrets_stay_out_of_the_logs_commands_are_audited_and_revocation_reaches_open_connections_within_a_second()
    {
        var opsSecret = TokenSecret.Generate();
        var wrongSecret = TokenSecret.Generate();
        var env = NodeEnvironment("secrets");
        env["CALLCLUSTER_TOKENS"] = $"ops {TokenSecret.Hash(opsSecret)} calls:read,calls:control,admin";
        await using var node = await ChildProcess.StartAsync("Embedded", "", env, "Call API listening on", TimeSpan.FromSeconds(120));
        var ws = new Uri($"ws://127.0.0.1:{env["CALLCLUSTER_WS_PORT"]}/call-api");
        var admin = new Uri($"http://127.0.0.1:{env["CALLCLUSTER_ADMIN_PORT"]}");
        using var http = new HttpClient { Timeout = Timeout };

        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeAsync(ws, wrongSecret));
        string cmdId;
        await using (var ops = await RpcTestClient.ConnectAsync(ws, opsSecret))
        {
            var run = await CommandRun.RunAsync(ops, "CallEnd", new { callid = "no-such-call" }, Timeout);
            Assert.Equal(-32001, run.ErrorCode);
            cmdId = run.CmdId;
        }

        // A browser's ticket, used once in the query string.
        using var ticketRequest = new HttpRequestMessage(HttpMethod.Post, new Uri(ws.ToString().Replace("ws://", "http://") + "/ticket"));
        ticketRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", opsSecret);
        using var ticketResponse = await http.SendAsync(ticketRequest);
        var ticket = JsonDocument.Parse(await ticketResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("ticket").GetString()!;
        await using (var browser = await RpcTestClient.ConnectAsync(new Uri(ws + "?ticket=" + ticket)))
        {
            Assert.Equal(-32001, (await CommandRun.RunAsync(browser, "CallEnd", new { callid = "no-such-call-2" }, Timeout)).ErrorCode);
        }

        // callctl tokens add: the secret is made by the admin endpoint and shown once.
        var added = await AdminAsync(http, admin, "tokens", "add", "crm", "calls:read,calls:control");
        var crmSecret = added.GetProperty("rows")[0][1].GetString()!;
        Assert.StartsWith(TokenSecret.Prefix, crmSecret);
        var issuedIn = await UntilAsync(async () => await UpgradeAsync(ws, crmSecret) == HttpStatusCode.SwitchingProtocols);
        Assert.True(issuedIn < TimeSpan.FromSeconds(1), $"the issued token was accepted only after {issuedIn}");

        var listed = await AdminAsync(http, admin, "tokens", "list");
        Assert.Contains(listed.GetProperty("rows").EnumerateArray(), r => r[0].GetString() == "crm" && r[1].GetString() == "issued");
        Assert.DoesNotContain(crmSecret, listed.GetRawText());

        await using var crm = await RpcTestClient.ConnectAsync(ws, crmSecret);
        Assert.Equal(-32001, (await CommandRun.RunAsync(crm, "CallEnd", new { callid = "no-such-call-3" }, Timeout)).ErrorCode);
        var revoking = Stopwatch.StartNew();
        await AdminAsync(http, admin, "tokens", "revoke", "crm");
        await UntilAsync(() => Task.FromResult(crm.CloseStatus is not null));
        revoking.Stop();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, crm.CloseStatus);
        Assert.True(revoking.Elapsed < TimeSpan.FromSeconds(1), $"the open connection was closed {revoking.Elapsed} after the revocation");
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeAsync(ws, crmSecret));

        // The audit line of the first command, by token id; then no secret anywhere in what the process wrote.
        var log = node.FullOutput;
        Assert.Contains($"audit token_id=ops", log);
        Assert.Contains($"method=CallEnd cmd_id={cmdId} outcome=started", log);
        Assert.Contains("audit token_id=crm", log);
        foreach (var (what, secret) in new[] { ("configured token", opsSecret), ("wrong token", wrongSecret), ("ticket", ticket), ("issued token", crmSecret) })
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"the {what} appears in the log:\n{log}");
            // Nor a recognisable part of it.
            Assert.False(log.Contains(secret[4..20], StringComparison.Ordinal), $"part of the {what} appears in the log");
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task A_gateway_bound_to_a_non_loopback_address_with_no_token_refuses_to_start_with_one_line()
    {
        var env = NodeEnvironment("exposed");
        // Refused before the gateway binds anything: the check runs first.
        env["CALLCLUSTER_WS_HOST"] = "0.0.0.0";

        var (code, stderr, output) = await ChildProcess.RunToExitAsync("Embedded", "", env, TimeSpan.FromSeconds(120));

        Assert.True(code == 2, $"exit code {code}:\n{output}");
        var line = Assert.Single(stderr, l => l.Length > 0);
        Assert.Contains("CALLCLUSTER_TOKENS", line);
        Assert.Contains("--insecure", line);
    }

    private Dictionary<string, string> NodeEnvironment(string name) => new()
    {
        ["CALLCLUSTER_WS_PORT"] = FreePort.Tcp().ToString(),
        ["CALLCLUSTER_EVI_PORT"] = FreePort.Udp().ToString(),
        ["CALLCLUSTER_ADMIN_PORT"] = FreePort.Tcp().ToString(),
        ["CALLCLUSTER_SIM_MI_PORT"] = FreePort.Udp().ToString(),
        ["CALLCLUSTER_DB"] = Path.Combine(_dir, name + ".db"),
    };

    private static async Task<JsonElement> AdminAsync(HttpClient http, Uri admin, string palette, string verb, params string[] args)
    {
        var body = JsonSerializer.Serialize(new { args });
        using var response = await http.PostAsync(new Uri(admin, $"/admin/v1/{palette}/{verb}"),
            new StringContent(body, Encoding.UTF8, "application/json"));
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.True(Str(result, "status") == "Ok", result.GetRawText());
        return result;
    }

    private static Task<HttpStatusCode> UpgradeAsync(Uri endpoint, string bearer) =>
        WebSocketUpgrade.StatusAsync(endpoint, o => o.SetRequestHeader("Authorization", "Bearer " + bearer));

    /// <summary>How long until the condition held (polled every 20 ms, at most 10 s).</summary>
    private static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("condition not met within 10 s");
            await Task.Delay(20);
        }

        return clock.Elapsed;
    }

    public void Dispose() => TempDirectory.DeleteBestEffort(_dir);
}
