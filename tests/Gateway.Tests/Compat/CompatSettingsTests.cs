using System.Net.WebSockets;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests.Compat;

/// <summary>Which path speaks which dialect: the defaults, the migration setting, and both over real WebSockets.</summary>
public sealed class CompatSettingsTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = INFO", output)
{
    private const string CallEnd = """{"jsonrpc":"2.0","id":"r","method":"CallEnd","params":{"callid":"c1"}}""";

    [Fact]
    public void By_default_native_at_call_api_and_the_original_at_call_api_compat()
    {
        var s = GatewaySettings.FromConfig(ConfigurationFactory.ParseString("callcluster.gateway.port = 0"));
        Assert.Equal([("/call-api", WireDialect.Native), ("/call-api/compat", WireDialect.Original)], s.Endpoints);
    }

    [Fact]
    public void A_migration_serves_the_original_at_call_api_and_native_elsewhere()
    {
        var s = GatewaySettings.FromConfig(ConfigurationFactory.ParseString("""
            callcluster.gateway { dialect = original, compat-path = "", native-path = "/call-api/native" }
            """));
        Assert.Equal([("/call-api", WireDialect.Original), ("/call-api/native", WireDialect.Native)], s.Endpoints);
    }

    [Theory]
    [InlineData("callcluster.gateway { dialect = klingon }")]
    [InlineData("callcluster.gateway { compat-path = \"/call-api\" }")]
    [InlineData("callcluster.gateway { compat-path = \"compat\" }")]
    public void Bad_dialect_settings_refuse_to_start(string hocon) =>
        Assert.ThrowsAny<ArgumentException>(() => GatewaySettings.FromConfig(ConfigurationFactory.ParseString(hocon)));

    /// <summary>The original ignored Origin, so any page could drive it through its user's browser (cross-site
    /// WebSocket hijacking, issue 17). The example page connects once its origin is listed in allowed-origins.</summary>
    [Fact]
    public async Task A_browser_page_connects_when_its_origin_is_allowed_and_is_refused_403_otherwise()
    {
        var region = Sys.ActorOf(Props.Create(() => new FakeCommandRegion(CreateTestProbe().Ref)));
        var settings = GatewaySettings.Default with { Host = "127.0.0.1", Port = 0 };
        await using (var closed = await GatewayServer.StartAsync(Sys, region, settings))
        {
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, await WebSocketUpgrade.StatusAsync(closed.CompatEndpoint!,
                o => o.SetRequestHeader("Origin", "http://pbx-admin.example.org:8000")));
        }

        var security = CallCluster.Hosting.Security.CallClusterSecurity.Standalone(
            CallCluster.Hosting.Security.SecuritySettings.Default with { AllowedOrigins = ["http://pbx-admin.example.org:8000"] });
        await using var server = await GatewayServer.StartAsync(Sys, region, settings, security: security);
        using var socket = new ClientWebSocket();
        // The example page (examples/javascript/index.html) is served from wherever its user put it.
        socket.Options.SetRequestHeader("Origin", "http://pbx-admin.example.org:8000");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(server.CompatEndpoint!, cts.Token);
        Assert.Equal(WebSocketState.Open, socket.State);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
    }

    [Fact]
    public async Task Each_path_answers_in_its_own_dialect()
    {
        var region = Sys.ActorOf(Props.Create(() => new FakeCommandRegion(CreateTestProbe().Ref)));
        var settings = GatewaySettings.Default with { Host = "127.0.0.1", Port = 0, NativePath = "/call-api/native", Dialect = WireDialect.Original };
        await using var server = await GatewayServer.StartAsync(Sys, region, settings);
        Assert.Equal("/call-api", server.CompatEndpoint!.AbsolutePath);
        Assert.Equal("/call-api/native", server.DialectEndpoints[WireDialect.Native].AbsolutePath);

        await using (var original = await WsClient.ConnectAsync(server.Endpoint))
        {
            var reply = await original.CallAsync(CallEnd);
            Assert.Equal("Started", reply.GetProperty("result").GetProperty("event").GetString());
            var ended = await original.ReceiveAsync();
            Assert.Equal(("CallEnd", "Ended"), (ended.GetProperty("method").GetString(), ended.GetProperty("params").GetProperty("event").GetString()));
        }

        await using var native = await WsClient.ConnectAsync(server.DialectEndpoints[WireDialect.Native]);
        var nativeReply = await native.CallAsync(CallEnd);
        Assert.Equal("Started", nativeReply.GetProperty("result").GetProperty("status").GetString());
        Assert.Equal("Event", (await native.ReceiveAsync()).GetProperty("method").GetString());
        Assert.Equal("Ended", (await native.ReceiveAsync()).GetProperty("method").GetString());
        Assert.Equal(WebSocketState.Open, native.Socket.State);
    }
}
