using CallCluster.Ops.Tests.Support;

namespace CallCluster.Ops.Tests;

/// <summary><c>callctl CallStart caller=... callee=...</c>: the original call-cmd's command line, run through a gateway
/// in the original dialect, printing what call-cmd printed and exiting as it exited.</summary>
public sealed class CallCmdVerbsTests : IAsyncLifetime
{
    private FakeOriginalGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeOriginalGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task CallStart_key_value_words_become_the_request_and_each_event_a_line()
    {
        var result = await TestCluster.CtlAsync(null, "--url", _gateway.Url.ToString(), "CallStart",
            "caller=sip:alice@example.com", "callee=sip:bob@example.com;transport=udp?x=1");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(
            ["CallStart:cmd-1: CallerAnswered: map[callee:sip:bob@example.com caller:sip:alice@example.com]", "CallStart:cmd-1: Transferring"],
            result.Lines);
        var request = Assert.Single(_gateway.Requests);
        Assert.Equal("CallStart", request["method"]!.GetValue<string>());
        // Split at the first '=' only, as call-cmd does.
        Assert.Equal("""{"caller":"sip:alice@example.com","callee":"sip:bob@example.com;transport=udp?x=1"}""", request["params"]!.ToJsonString());
    }

    [Fact]
    public async Task Without_url_the_compat_path_of_the_gateway_on_CALLCLUSTER_WS_PORT_is_used()
    {
        var port = _gateway.Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var result = await TestCluster.CtlWithEnvAsync(null, name => name == "CALLCLUSTER_WS_PORT" ? port : null,
            CancellationToken.None, "CallStart", "caller=sip:alice@example.com", "callee=sip:bob@example.com");
        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal("CallStart", Assert.Single(_gateway.Requests)["method"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_Error_prints_the_reason_and_exits_1()
    {
        var result = await TestCluster.CtlAsync(null, "--url", _gateway.Url.ToString(), "CallHold", "callid=unknown");

        Assert.True(result.Exit == 1, result.ToString());
        Assert.Empty(result.Lines);
        Assert.Contains("unknown to the SIP proxy", result.Stderr);
    }

    [Fact]
    public async Task The_config_file_of_call_cmd_names_the_gateway_and_the_rest_of_it_is_ignored()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, $"""
                # The OpenSIPS Calling CMD configuration file
                mi:
                  url: 127.0.0.1:8080
                ws_server:
                  host: 127.0.0.1
                  port: {_gateway.Port}
                log:
                  level: DEBUG
                """);

            var result = await TestCluster.CtlAsync(null, "-config", file, "-v", "CallUnhold", "callid=c1");

            Assert.True(result.Exit == 0, result.ToString());
            Assert.StartsWith("CallUnhold:cmd-1: CallerAnswered", result.Lines[0]);
            Assert.Equal("CallUnhold", Assert.Single(_gateway.Requests)["method"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Only_the_six_commands_are_verbs()
    {
        var result = await TestCluster.CtlAsync(null, "--url", _gateway.Url.ToString(), "NotifyEnd");

        Assert.Equal(2, result.Exit);
        Assert.Empty(_gateway.Requests);
    }

    [Fact]
    public async Task A_verb_takes_any_key_value_words_after_it_including_dashes_and_equals_signs()
    {
        var result = await TestCluster.CtlAsync(null, "--url", _gateway.Url.ToString(), "CallAttendedTransfer",
            "callidA=a-1", "legA=caller", "callidB=b=2", "legB=callee", "-v");

        Assert.True(result.Exit == 0, result.ToString());
        var request = Assert.Single(_gateway.Requests);
        Assert.Equal("CallAttendedTransfer", request["method"]!.GetValue<string>());
        // Words after the verb are call-cmd's, "-v" included (a key without '='), split at the first '='.
        Assert.Equal("""{"callidA":"a-1","legA":"caller","callidB":"b=2","legB":"callee","-v":""}""", request["params"]!.ToJsonString());
    }
}
