using System.Text.Json;
using System.Text.Json.Nodes;
using CallCluster.Ops.Tests.Support;

namespace CallCluster.Ops.Tests;

/// <summary><c>callctl call ...</c> against a scripted gateway over a real WebSocket: request mapping, one line per
/// notification of its own command until Ended, exit codes.</summary>
public sealed class CallClientTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Task<CtlResult> Call(params string[] args) =>
        TestCluster.CtlAsync(null, ["--url", _gateway.Url.ToString(), "call", .. args]);

    [Fact]
    public async Task Call_end_prints_the_reply_and_each_notification_and_exits_0_on_Ended_ok()
    {
        var result = await Call("end", "--callid", "c1164299c6876eb1");
        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(
            ["Reply | cmd-1 | Started", "Event | 1 | CALL_END | callid=c1164299c6876eb1", "Ended | 2 | ok"],
            result.Lines);
        var request = Assert.Single(_gateway.Requests);
        Assert.Equal("2.0", request["jsonrpc"]!.GetValue<string>());
        Assert.Equal("CallEnd", request["method"]!.GetValue<string>());
        Assert.Equal("""{"callid":"c1164299c6876eb1"}""", request["params"]!.ToJsonString());
    }

    [Fact]
    public async Task Call_json_prints_the_frames_and_exits_1_on_Ended_failed()
    {
        var result = await Call("--json", "end", "--callid", "unknown");
        // --json after "call" is an option name callctl does not know: usage.
        Assert.Equal(2, result.Exit);

        result = await TestCluster.CtlAsync(null, "--json", "--url", _gateway.Url.ToString(), "call", "end", "--callid", "unknown");
        Assert.True(result.Exit == 1, result.ToString());
        var frames = result.Lines.Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, frames.Count);
        Assert.Equal("cmd-1", frames[0]["result"]!["cmd_id"]!.GetValue<string>());
        Assert.Equal(-32001, frames[1]["params"]!["error"]!["code"]!.GetValue<int>());
    }

    /// <summary>Without --url, callctl finds the gateway the way the gateway finds its own address: from
    /// CALLCLUSTER_WS_PORT and CALLCLUSTER_WS_HOST (a wildcard bind address is reached on loopback).</summary>
    [Theory]
    [InlineData(null, null)]
    [InlineData("0.0.0.0", null)]
    [InlineData("127.0.0.1", "/call-api")]
    public async Task Without_url_the_gateway_is_the_one_the_CALLCLUSTER_WS_variables_configure(string? host, string? nativePath)
    {
        var env = new Dictionary<string, string?>
        {
            ["CALLCLUSTER_WS_PORT"] = _gateway.Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CALLCLUSTER_WS_HOST"] = host,
            ["CALLCLUSTER_WS_NATIVE_PATH"] = nativePath,
        };
        var result = await TestCluster.CtlWithEnvAsync(null, name => env.GetValueOrDefault(name), CancellationToken.None,
            "call", "end", "--callid", "c1");
        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal("CallEnd", Assert.Single(_gateway.Requests)["method"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("CALLCLUSTER_WS_PORT", "not-a-port", "is not a port number")]
    [InlineData("CALLCLUSTER_WS_PORT", "70000", "is not a port number")]
    [InlineData("CALLCLUSTER_WS_DIALECT", "original", "no path speaks the native one")]
    public async Task Gateway_variables_that_name_no_native_gateway_are_usage_errors(string variable, string value, string reason)
    {
        var result = await TestCluster.CtlWithEnvAsync(null, name => name == variable ? value : null, CancellationToken.None,
            "call", "end", "--callid", "c1");
        Assert.True(result.Exit == 2, result.ToString());
        Assert.Contains(reason, result.Stderr);
        Assert.Empty(_gateway.Requests);
    }

    [Fact]
    public async Task A_JSON_RPC_error_reply_exits_1()
    {
        var result = await Call("start", "--caller", "sip:alice@example.com", "--callee", "sip:bob@example.com");
        Assert.True(result.Exit == 1, result.ToString());
        Assert.Equal("Error | -32601 | Method not found | not available on this server", Assert.Single(result.Lines));
        var request = Assert.Single(_gateway.Requests);
        Assert.Equal("CallStart", request["method"]!.GetValue<string>());
        Assert.Equal("sip:bob@example.com", request["params"]!["callee"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("CallHold", """{"callid":"c1","leg":"caller"}""", "hold", "--callid", "c1", "--leg", "caller")]
    [InlineData("CallUnHold", """{"callid":"c1"}""", "unhold", "--callid", "c1")]
    [InlineData("CallBlindTransfer", """{"callid":"c1","leg":"callee","destination":"sip:carol@example.com"}""",
        "transfer", "--callid", "c1", "--leg", "callee", "--destination", "sip:carol@example.com")]
    [InlineData("CallAttendedTransfer", """{"callid_a":"a","leg_a":"caller","callid_b":"b","leg_b":"callee"}""",
        "transfer", "--callid-a", "a", "--leg-a", "caller", "--callid-b", "b", "--leg-b", "callee")]
    [InlineData("CallEnd", """{"callid":"c1","cmd_id":"mine"}""", "end", "--callid", "c1", "--cmd-id", "mine")]
    public async Task Call_commands_map_onto_the_Call_API(string method, string parameters, params string[] args)
    {
        var result = await Call(args);
        Assert.True(result.Exit == 0, result.ToString());
        var request = Assert.Single(_gateway.Requests);
        Assert.Equal(method, request["method"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(parameters), request["params"]), request["params"]!.ToJsonString());
    }

    [Theory]
    [InlineData("end")]
    [InlineData("end", "--callid")]
    [InlineData("start", "--caller", "sip:a@x")]
    [InlineData("transfer", "--callid", "c1", "--leg", "caller")]
    [InlineData("hold", "--callid", "c1", "--bogus", "x")]
    [InlineData("dance")]
    [InlineData]
    public async Task Incomplete_call_commands_exit_2_without_connecting(params string[] args)
    {
        var result = await Call(args);
        Assert.True(result.Exit == 2, result.ToString());
        Assert.Empty(_gateway.Requests);
    }

    [Fact]
    public async Task An_unreachable_gateway_exits_1()
    {
        var result = await TestCluster.CtlAsync(null, "--url", "ws://127.0.0.1:1/call-api", "call", "end", "--callid", "x");
        Assert.True(result.Exit == 1, result.ToString());
        Assert.Contains("cannot reach the gateway", result.Stderr);
        _ = JsonSerializer.Serialize(result.Exit);
    }
}
