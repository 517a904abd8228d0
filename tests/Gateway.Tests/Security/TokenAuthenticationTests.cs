using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Security;
using CallCluster.Hosting;
using CallCluster.Hosting.Security;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests.Security;

/// <summary>Issue 17 over real WebSockets and Kestrel on 127.0.0.1:0: who gets through the upgrade (401/403), what each
/// scope allows (-32005), tickets, revocation of open connections, per-token limits, the compat endpoint's address
/// policy and the refusal to serve other hosts without a token.</summary>
public sealed class TokenAuthenticationTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = INFO", output)
{
    private static readonly GatewaySettings Base = GatewaySettings.Default with { Host = "127.0.0.1", Port = 0, AskTimeout = TimeSpan.FromSeconds(5) };

    private static readonly TestToken Control = TestToken.Make("crm", [Scopes.CallsRead, Scopes.CallsControl]);
    private static readonly TestToken ReadOnly = TestToken.Make("dashboard", [Scopes.CallsRead]);
    private static readonly TestToken ControlOnly = TestToken.Make("dialer", [Scopes.CallsControl]);
    private static readonly TestToken Expired = TestToken.Make("old", [Scopes.CallsRead, Scopes.CallsControl],
        expiresAtMs: DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds());

    private static SecuritySettings WithTokens(params TestToken[] tokens) =>
        SecuritySettings.Default with { Tokens = tokens.Select(t => t.Token).ToList() };

    private async Task<(GatewayServer Server, TestProbe Region)> StartAsync(CallClusterSecurity security, GatewaySettings? settings = null)
    {
        var probe = CreateTestProbe();
        var region = Sys.ActorOf(Props.Create(() => new FakeCommandRegion(probe.Ref)));
        var server = await GatewayServer.StartAsync(Sys, region, settings ?? Base, security: security);
        return (server, probe);
    }

    private static string End(string id, string callid) =>
        $$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"CallEnd","params":{"callid":"{{{callid}}}"}}""";

    private static ApiToken Copy(ApiToken t) => t with { Scopes = t.Scopes.ToList(), Domains = t.Domains.ToList() };

    private static int ErrorCode(JsonElement reply) => reply.GetProperty("error").GetProperty("code").GetInt32();

    [Fact]
    public async Task The_upgrade_is_401_without_a_token_with_a_wrong_one_and_with_an_expired_one_and_opens_with_a_valid_one()
    {
        var (server, _) = await StartAsync(CallClusterSecurity.Standalone(WithTokens(Control, Expired)));
        await using var _s = server;

        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(server.Endpoint));
        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(server.Endpoint,
            o => o.SetRequestHeader("Authorization", "Bearer " + TokenSecret.Generate())));
        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(server.Endpoint,
            o => o.SetRequestHeader("Authorization", "Basic " + Convert.ToBase64String("crm:x"u8.ToArray()))));
        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(server.Endpoint, Expired.Bearer));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketUpgrade.StatusAsync(server.Endpoint, Control.Bearer));

        await using var client = await WsClient.ConnectAsync(server.Endpoint, Control.Bearer);
        var reply = await client.CallAsync(End("1", "c1"));
        Assert.Equal("Started", reply.GetProperty("result").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_request_beyond_the_tokens_scope_is_answered_minus_32005_and_never_reaches_the_cluster()
    {
        var (server, region) = await StartAsync(CallClusterSecurity.Standalone(WithTokens(Control, ReadOnly, ControlOnly)));
        await using var _s = server;

        await using (var reader = await WsClient.ConnectAsync(server.Endpoint, ReadOnly.Bearer))
        {
            var refused = await reader.CallAsync(End("1", "c-read"));
            Assert.Equal(ErrorCodes.Forbidden, ErrorCode(refused));
            Assert.Contains("calls:control", refused.GetProperty("error").GetProperty("data").GetString());
            // The same connection may still read: CommandGet is answered by the (fake) region, not refused.
            var get = await reader.CallAsync("""{"jsonrpc":"2.0","id":2,"method":"CommandGet","params":{"cmd_id":"nope"}}""");
            Assert.NotEqual(ErrorCodes.Forbidden, get.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : 0);
        }

        await using (var dialer = await WsClient.ConnectAsync(server.Endpoint, ControlOnly.Bearer))
        {
            Assert.Equal(ErrorCodes.Forbidden, ErrorCode(await dialer.CallAsync(
                """{"jsonrpc":"2.0","id":3,"method":"CommandSubscribe","params":{"cmd_id":"x","after_seq":0}}""")));
            Assert.Equal(ErrorCodes.Forbidden, ErrorCode(await dialer.CallAsync(
                """{"jsonrpc":"2.0","id":4,"method":"CommandGet","params":{"cmd_id":"x"}}""")));
            var started = await dialer.CallAsync(End("5", "c-dial"));
            Assert.Equal("Started", started.GetProperty("result").GetProperty("status").GetString());
        }

        // The first StartCommand the region ever saw is the dialer's: the reader's CallEnd was answered before it was sent.
        Assert.Equal("c-dial", region.ExpectMsg<StartCommand>().Params["callid"]);
    }

    [Fact]
    public async Task A_disallowed_origin_is_403_the_gateways_own_origin_and_the_configured_list_are_allowed()
    {
        var (server, _) = await StartAsync(CallClusterSecurity.Standalone(WithTokens(Control)));
        await using (server)
        {
            var port = server.Endpoint.Port;
            Assert.Equal(HttpStatusCode.Forbidden, await WebSocketUpgrade.StatusAsync(server.Endpoint, o =>
            {
                Control.Bearer(o);
                o.SetRequestHeader("Origin", "https://evil.example");
            }));
            // DNS rebinding: the attacker's name resolves to the gateway, but it is not the gateway's own origin.
            Assert.Equal(HttpStatusCode.Forbidden, await WebSocketUpgrade.StatusAsync(server.Endpoint, o =>
            {
                Control.Bearer(o);
                o.SetRequestHeader("Origin", $"http://evil.example:{port}");
            }));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketUpgrade.StatusAsync(server.Endpoint, o =>
            {
                Control.Bearer(o);
                o.SetRequestHeader("Origin", $"http://127.0.0.1:{port}");
            }));
            // No Origin: not a browser, judged by the token alone.
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketUpgrade.StatusAsync(server.Endpoint, Control.Bearer));
        }

        var listed = CallClusterSecurity.Standalone(WithTokens(Control) with { AllowedOrigins = ["https://app.example"] });
        var (second, _) = await StartAsync(listed);
        await using (second)
        {
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketUpgrade.StatusAsync(second.Endpoint, o =>
            {
                Control.Bearer(o);
                o.SetRequestHeader("Origin", "https://app.example");
            }));
            Assert.Equal(HttpStatusCode.Forbidden, await WebSocketUpgrade.StatusAsync(second.Endpoint, o =>
            {
                Control.Bearer(o);
                o.SetRequestHeader("Origin", $"http://127.0.0.1:{second.Endpoint.Port}");
            }));
        }
    }

    [Fact]
    public async Task A_browser_ticket_is_obtained_with_the_token_and_opens_one_connection_once()
    {
        var (server, _) = await StartAsync(CallClusterSecurity.Standalone(WithTokens(Control)));
        await using var _s = server;
        var ticketUri = new UriBuilder("http", "127.0.0.1", server.Endpoint.Port, "/call-api/ticket").Uri;
        using var http = new HttpClient();

        using (var anonymous = await http.PostAsync(ticketUri, null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, ticketUri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Control.Secret);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var ticket = body.RootElement.GetProperty("ticket").GetString()!;
        Assert.Equal(30, body.RootElement.GetProperty("expires_in").GetInt32());

        var withTicket = new Uri(server.Endpoint + "?ticket=" + Uri.EscapeDataString(ticket));
        await using (var browser = await WsClient.ConnectAsync(withTicket))
        {
            var reply = await browser.CallAsync(End("1", "c-browser"));
            Assert.Equal("Started", reply.GetProperty("result").GetProperty("status").GetString());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(withTicket));
        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(new Uri(server.Endpoint + "?ticket=cck_made_up")));
    }

    [Fact]
    public async Task Revoking_a_token_closes_its_open_connections_with_1008_and_refuses_new_ones()
    {
        var cache = new TokenCache([], hasRegistry: true);
        cache.Apply(new TokenSet([Control.Token, ReadOnly.Token], 1));
        var (server, _) = await StartAsync(new CallClusterSecurity(SecuritySettings.Default, cache, null));
        await using var _s = server;
        await using var revoked = await WsClient.ConnectAsync(server.Endpoint, Control.Bearer);
        await using var kept = await WsClient.ConnectAsync(server.Endpoint, ReadOnly.Bearer);
        Assert.Equal("Started", (await revoked.CallAsync(End("1", "c1"))).GetProperty("result").GetProperty("status").GetString());
        await revoked.ReceiveAsync(); // CALL_END
        await revoked.ReceiveAsync(); // Ended

        // The same tokens again as a set that crossed the network (new lists): nothing is closed.
        cache.Apply(new TokenSet([Copy(Control.Token), Copy(ReadOnly.Token)], 2));
        Assert.Equal(8, (await revoked.CallAsync("""{"jsonrpc":"2.0","id":8,"method":"CommandGet","params":{"cmd_id":"nope"}}"""))
            .GetProperty("id").GetInt32());

        cache.Apply(new TokenSet([Copy(ReadOnly.Token)], 3));

        Assert.Null(await revoked.ReceiveTextAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, revoked.CloseResult!.CloseStatus);
        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(server.Endpoint, Control.Bearer));
        // The other token's connection is untouched.
        var get = await kept.CallAsync("""{"jsonrpc":"2.0","id":9,"method":"CommandGet","params":{"cmd_id":"nope"}}""");
        Assert.Equal(9, get.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task A_token_past_its_commands_in_flight_or_per_second_gets_minus_32004_across_its_connections()
    {
        var oneAtATime = TestToken.Make("one", [Scopes.CallsControl], maxInFlight: 1, perSecond: 1000);
        var slow = TestToken.Make("slow", [Scopes.CallsControl], maxInFlight: 1000, perSecond: 2);
        var (server, _) = await StartAsync(CallClusterSecurity.Standalone(WithTokens(oneAtATime, slow)));
        await using var _s = server;

        await using var first = await WsClient.ConnectAsync(server.Endpoint, oneAtATime.Bearer);
        await using var second = await WsClient.ConnectAsync(server.Endpoint, oneAtATime.Bearer);
        Assert.Equal("Started", (await first.CallAsync(End("1", "keep"))).GetProperty("result").GetProperty("status").GetString());
        var over = await second.CallAsync(End("2", "keep"));
        Assert.Equal(ErrorCodes.Overloaded, ErrorCode(over));
        Assert.Contains("in flight for this token", over.GetProperty("error").GetProperty("data").GetString());

        await using var burst = await WsClient.ConnectAsync(server.Endpoint, slow.Bearer);
        var batch = "[" + string.Join(",", Enumerable.Range(1, 6).Select(i => End(i.ToString(), "keep"))) + "]";
        var replies = (await burst.CallAsync(batch)).EnumerateArray().ToList();
        var limited = replies.Count(r => r.TryGetProperty("error", out var e) && e.GetProperty("code").GetInt32() == ErrorCodes.Overloaded);
        // A bucket of 2 refilled every 100 ms: six commands in one frame cannot all pass.
        Assert.InRange(limited, 3, 4);
    }

    [Fact]
    public async Task The_compat_endpoint_admits_loopback_clients_without_a_token_while_the_native_one_needs_it()
    {
        var (server, _) = await StartAsync(CallClusterSecurity.Standalone(WithTokens(Control)));
        await using (server)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(server.Endpoint));
            await using var original = await WsClient.ConnectAsync(server.CompatEndpoint!);
            var reply = await original.CallAsync("""{"jsonrpc":"2.0","id":"","method":"CallEnd","params":{"callid":"c-compat"}}""");
            Assert.Equal("Started", reply.GetProperty("result").GetProperty("event").GetString());
        }

        var tokensOnly = CallClusterSecurity.Standalone(WithTokens(Control) with { Compat = EndpointPolicy.TokensOnly });
        var (strict, _) = await StartAsync(tokensOnly);
        await using (strict)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgrade.StatusAsync(strict.CompatEndpoint!));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketUpgrade.StatusAsync(strict.CompatEndpoint!, Control.Bearer));
        }
    }

    [Fact]
    public async Task With_no_token_anywhere_loopback_is_open_and_any_other_address_refuses_to_start_with_one_line()
    {
        var (server, _) = await StartAsync(CallClusterSecurity.Standalone(SecuritySettings.Default));
        await using (server)
        {
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketUpgrade.StatusAsync(server.Endpoint));
        }

        // Refused before anything is bound.
        var e = await Assert.ThrowsAsync<StartupException>(() => StartAsync(CallClusterSecurity.Standalone(SecuritySettings.Default),
            Base with { Host = "0.0.0.0" }));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("CALLCLUSTER_TOKENS", e.Message);
        Assert.Contains("--insecure", e.Message);
    }
}
