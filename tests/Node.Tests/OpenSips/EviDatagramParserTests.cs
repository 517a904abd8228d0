using System.Text;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.OpenSips;

public sealed class EviDatagramParserTests
{
    // Verbatim `raw` datagrams of tests/Simulator.Tests/Captures (OpenSIPS 4.0.1).
    private const string DlgConfirmed =
        """{"jsonrpc":"2.0","method":"E_DLG_STATE_CHANGED","params":{"id":"1b.133b6a92","db_id":"760908002097","callid":"c2d-9b95d449a795","from_tag":"533cb9e91f4b999cf76861cbb9ed54ed-03bd","to_tag":"e6be81cec11ee3f3","old_state":1,"new_state":3}}""";
    private const string TransferStart =
        """{"jsonrpc":"2.0","method":"E_CALL_TRANSFER","params":{"callid":"c2d-9b95d449a795","leg":"33b0355be71b364e","transfer_callid":"33b0355be71b364e","destination":"sip:bob@127.0.0.1","state":"start","status":""}}""";
    private const string TransferOk =
        """{"jsonrpc":"2.0","method":"E_CALL_TRANSFER","params":{"callid":"c2d-9b95d449a795","leg":"callee","transfer_callid":"33b0355be71b364e","destination":"sip:bob@127.0.0.1","state":"ok","status":"200 Answering"}}""";
    private const string TransferFail =
        """{"jsonrpc":"2.0","method":"E_CALL_TRANSFER","params":{"callid":"c1164299c6876eb1","leg":"callee","transfer_callid":"37ee797969edc9e3","destination":"sip:nobody@127.0.0.1;osid=954.6369a3e2","state":"fail","status":"408 Request Timeout"}}""";
    private const string HoldStart =
        """{"jsonrpc":"2.0","method":"E_CALL_HOLD","params":{"callid":"1c45e44d9f905b32","leg":"caller","action":"hold","state":"start"}}""";

    private static EviParseStatus Parse(string text, out IEviEvent? evt, out string? error) =>
        EviDatagramParser.Parse(Encoding.UTF8.GetBytes(text), out evt, out error);

    private static IEviEvent Ok(string text)
    {
        Assert.True(EviDatagramParser.TryParse(Encoding.UTF8.GetBytes(text), out var evt, out var error), error);
        Assert.NotNull(evt);
        return evt;
    }

    [Fact]
    public void Captured_dialog_state_change()
    {
        var e = Assert.IsType<DialogStateChanged>(Ok(DlgConfirmed));
        Assert.Equal(new DialogStateChanged("c2d-9b95d449a795", "1b.133b6a92", "760908002097",
            "533cb9e91f4b999cf76861cbb9ed54ed-03bd", "e6be81cec11ee3f3", 1, 3), e);
    }

    [Fact]
    public void Captured_transfer_events()
    {
        Assert.Equal(new CallTransferEvent("c2d-9b95d449a795", "33b0355be71b364e", "33b0355be71b364e", "sip:bob@127.0.0.1", "start", ""),
            Ok(TransferStart));
        Assert.Equal(new CallTransferEvent("c2d-9b95d449a795", "callee", "33b0355be71b364e", "sip:bob@127.0.0.1", "ok", "200 Answering"),
            Ok(TransferOk));
        Assert.Equal(new CallTransferEvent("c1164299c6876eb1", "callee", "37ee797969edc9e3", "sip:nobody@127.0.0.1;osid=954.6369a3e2", "fail", "408 Request Timeout"),
            Ok(TransferFail));
    }

    [Fact]
    public void Captured_hold_event()
    {
        Assert.Equal(new CallHoldEvent("1c45e44d9f905b32", "caller", "hold", "start"), Ok(HoldStart));
    }

    [Fact]
    public void Null_params_of_3x_and_omitted_params_of_4_0_become_null()
    {
        var nulls = Ok("""{"jsonrpc":"2.0","method":"E_DLG_STATE_CHANGED","params":{"id":"47.f18e9f95","db_id":null,"callid":"cid","from_tag":"ft","to_tag":null,"old_state":1,"new_state":5}}""");
        Assert.Equal(new DialogStateChanged("cid", "47.f18e9f95", null, "ft", null, 1, 5), nulls);
        var omitted = Ok("""{"jsonrpc":"2.0","method":"E_DLG_STATE_CHANGED","params":{"id":"47.f18e9f95","callid":"cid","from_tag":"ft","old_state":1,"new_state":5}}""");
        Assert.Equal(nulls, omitted);
        var transfer = Ok("""{"jsonrpc":"2.0","method":"E_CALL_TRANSFER","params":{"callid":"A","leg":null,"transfer_callid":null,"destination":null,"state":"notify","status":"100 Trying"}}""");
        Assert.Equal(new CallTransferEvent("A", null, null, null, "notify", "100 Trying"), transfer);
    }

    [Fact]
    public void Numeric_strings_any_key_order_and_unknown_params_are_tolerated()
    {
        var e = Ok("""{"params":{"extra":{"x":[1,2]},"new_state":"4","old_state":"3","callid":"cid","id":"1.2"},"method":"E_DLG_STATE_CHANGED","jsonrpc":"2.0"}""");
        Assert.Equal(new DialogStateChanged("cid", "1.2", null, null, null, 3, 4), e);
    }

    [Fact]
    public void Unknown_event_is_ignored_not_malformed()
    {
        Assert.Equal(EviParseStatus.Ignored, Parse("""{"jsonrpc":"2.0","method":"E_CORE_THRESHOLD","params":{"a":1}}""", out var evt, out _));
        Assert.Null(evt);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("""{"jsonrpc":"2.0","method":"E_CALL_HOLD","params":{"callid":"x","leg":"cal""")] // truncated
    [InlineData("""[1,2,3]""")]
    [InlineData("""{"jsonrpc":"2.0","params":{"callid":"x"}}""")] // no method
    [InlineData("""{"jsonrpc":"2.0","method":42,"params":{"callid":"x"}}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"E_CALL_HOLD","params":{"callid":"x","leg":"caller","action":"hold","state":"ok"},"id":3}""")] // a request
    [InlineData("""{"jsonrpc":"2.0","method":"E_CALL_HOLD","params":{"leg":"caller","action":"hold","state":"ok"}}""")] // no callid
    [InlineData("""{"jsonrpc":"2.0","method":"E_CALL_HOLD","params":{"callid":"","leg":"caller","action":"hold","state":"ok"}}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"E_CALL_HOLD","params":{"callid":"x","action":"hold","state":"ok"}}""")] // no leg
    [InlineData("""{"jsonrpc":"2.0","method":"E_CALL_HOLD","params":{"callid":["x"],"leg":"caller","action":"hold","state":"ok"}}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"E_DLG_STATE_CHANGED","params":{"id":"1.2","callid":"c","old_state":"three","new_state":4}}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"E_DLG_STATE_CHANGED","params":{"id":"1.2","callid":"c","old_state":true,"new_state":4}}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"E_DLG_STATE_CHANGED","params":{"callid":"c","old_state":1,"new_state":4}}""")] // no dialog id
    [InlineData("""{"jsonrpc":"2.0","method":"E_CALL_TRANSFER","params":"callid"}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"E_CALL_TRANSFER","params":{"callid":"c","state":"ok"}} trailing""")]
    public void Malformed_datagrams_are_rejected_with_a_reason(string text)
    {
        Assert.Equal(EviParseStatus.Malformed, Parse(text, out var evt, out var error));
        Assert.Null(evt);
        Assert.False(string.IsNullOrEmpty(error));
        Assert.False(EviDatagramParser.TryParse(Encoding.UTF8.GetBytes(text), out _, out _));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(42);
        for (var i = 0; i < 500; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && i % 2 == 0) bytes[0] = (byte)'{';
            Assert.Equal(EviParseStatus.Malformed, EviDatagramParser.Parse(bytes, out _, out _));
        }
    }
}
