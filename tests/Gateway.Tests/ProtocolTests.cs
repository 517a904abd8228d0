using System.Text;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Tests;

public sealed class ProtocolTests
{
    private static readonly RequestParser AllMethods = new(new MethodRegistry(MethodRegistry.All.Keys));
    private static readonly RequestParser Defaults = new(new MethodRegistry(GatewaySettings.DefaultEnabledMethods));

    private static InboundFrame Parse(string json, RequestParser? parser = null) =>
        (parser ?? AllMethods).Parse(Encoding.UTF8.GetBytes(json));

    private static RpcItem One(string json, RequestParser? parser = null)
    {
        var frame = Parse(json, parser);
        Assert.False(frame.IsBatch);
        return Assert.Single(frame.Items);
    }

    private static RpcInvalid Error(string json, int code, RequestParser? parser = null)
    {
        var invalid = Assert.IsType<RpcInvalid>(One(json, parser));
        Assert.Equal(code, invalid.Error.Code);
        return invalid;
    }

    private static string Req(string method, string @params, string id = "1") =>
        $$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}","params":{{@params}}}""";

    [Theory]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("{\"jsonrpc\":\"2.0\",}")]
    [InlineData("{} {}")]
    [InlineData("")]
    public void Invalid_json_is_a_parse_error_with_null_id(string json)
    {
        var e = Error(json, ErrorCodes.ParseError);
        Assert.Equal("null", e.IdJson);
    }

    [Fact]
    public void Invalid_utf8_is_a_parse_error()
    {
        var frame = AllMethods.Parse(new byte[] { (byte)'"', 0xC3, 0x28, (byte)'"' });
        Assert.Equal(ErrorCodes.ParseError, Assert.IsType<RpcInvalid>(Assert.Single(frame.Items)).Error.Code);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"1.0","id":7,"method":"CallEnd","params":{"callid":"x"}}""", "7")]
    [InlineData("""{"id":7,"method":"CallEnd","params":{"callid":"x"}}""", "7")]
    [InlineData("""{"jsonrpc":2.0,"id":"a","method":"CallEnd","params":{"callid":"x"}}""", "\"a\"")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":5,"params":{"callid":"x"}}""", "7")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"params":{"callid":"x"}}""", "7")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"CallEnd","params":["x"]}""", "7")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"CallEnd","params":"x"}""", "7")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"CallEnd","params":null}""", "7")]
    [InlineData("""{"jsonrpc":"2.0","id":{"a":1},"method":"CallEnd","params":{"callid":"x"}}""", "null")]
    [InlineData("""{"jsonrpc":"2.0","id":[1],"method":"CallEnd","params":{"callid":"x"}}""", "null")]
    [InlineData("""{"jsonrpc":"2.0","id":true,"method":"CallEnd","params":{"callid":"x"}}""", "null")]
    [InlineData("""{"jsonrpc":"2.0","method":"CallEnd","params":[]}""", "null")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"id":2,"method":"CallEnd","params":{"callid":"x"}}""", "1")]
    [InlineData("42", "null")]
    [InlineData("\"CallEnd\"", "null")]
    [InlineData("null", "null")]
    public void Valid_json_that_is_not_a_request_is_invalid_request(string json, string expectedId)
    {
        var e = Error(json, ErrorCodes.InvalidRequest);
        Assert.Equal(expectedId, e.IdJson);
        Assert.NotNull(e.Error.Data);
    }

    [Fact]
    public void Unknown_method_is_method_not_found()
    {
        var e = Error(Req("CallDance", "{}"), ErrorCodes.MethodNotFound);
        Assert.Equal("1", e.IdJson);
        Assert.Contains("CallDance", e.Error.Data);
    }

    [Fact]
    public void Known_but_disabled_method_says_it_is_not_available()
    {
        var onlyCommands = new RequestParser(new MethodRegistry(["CallStart", "CallEnd", "CommandGet", "CommandSubscribe"]));
        var e = Error(Req("CallList", "{}"), ErrorCodes.MethodNotFound, onlyCommands);
        Assert.Equal("CallList is not available on this server", e.Error.Data);
        Assert.IsType<RpcCommand>(One(Req("CallStart", """{"caller":"sip:a@b","callee":"sip:c@d"}"""), Defaults));
        Assert.IsType<RpcCommand>(One(Req("CallEnd", """{"callid":"x"}"""), Defaults));
        Assert.IsType<RpcGet>(One(Req("CommandGet", """{"cmd_id":"x"}"""), Defaults));
        Assert.IsType<RpcSubscribe>(One(Req("CommandSubscribe", """{"cmd_id":"x"}"""), Defaults));
    }

    [Fact]
    public void Unknown_enabled_method_name_is_refused_at_construction() =>
        Assert.Throws<ArgumentException>(() => new MethodRegistry(["CallDance"]));

    [Theory]
    [InlineData("\"831717ed97e5\"")]
    [InlineData("42")]
    [InlineData("-7")]
    [InlineData("1.50")]
    [InlineData("1e3")]
    [InlineData("null")]
    [InlineData("\"caf\\u00e9\"")]
    public void Id_is_kept_as_the_exact_raw_json(string id)
    {
        var item = One(Req("CallEnd", """{"callid":"x"}""", id));
        Assert.Equal(id, item.IdJson);
        Assert.True(item.WantsReply);
    }

    [Fact]
    public void Request_without_id_is_a_notification_and_its_errors_get_no_reply()
    {
        var ok = One("""{"jsonrpc":"2.0","method":"CallEnd","params":{"callid":"x"}}""");
        Assert.IsType<RpcCommand>(ok);
        Assert.False(ok.WantsReply);
        var bad = Assert.IsType<RpcInvalid>(One("""{"jsonrpc":"2.0","method":"CallEnd","params":{}}"""));
        Assert.False(bad.WantsReply);
        var unknown = Assert.IsType<RpcInvalid>(One("""{"jsonrpc":"2.0","method":"Nope"}"""));
        Assert.False(unknown.WantsReply);
    }

    [Fact]
    public void Batch_elements_are_handled_alone()
    {
        var frame = Parse($$$"""[{{{Req("CallEnd", """{"callid":"x"}""")}}}, 5, {"jsonrpc":"2.0","method":"CallEnd","params":{"callid":"y"}}, {{{Req("Nope", "{}", "\"z\"")}}}]""");
        Assert.True(frame.IsBatch);
        Assert.Equal(4, frame.Items.Count);
        Assert.IsType<RpcCommand>(frame.Items[0]);
        Assert.Equal(ErrorCodes.InvalidRequest, Assert.IsType<RpcInvalid>(frame.Items[1]).Error.Code);
        Assert.False(Assert.IsType<RpcCommand>(frame.Items[2]).WantsReply);
        Assert.Equal(ErrorCodes.MethodNotFound, Assert.IsType<RpcInvalid>(frame.Items[3]).Error.Code);
    }

    [Fact]
    public void Empty_batch_is_one_invalid_request()
    {
        var e = Error("[]", ErrorCodes.InvalidRequest);
        Assert.Equal("null", e.IdJson);
    }

    [Fact]
    public void CallStart_is_validated_and_normalised()
    {
        var c = Assert.IsType<RpcCommand>(One(Req("CallStart", """{"caller":"sip:alice@example.com","callee":"sips:bob@example.com:5061;transport=tls"}""")));
        Assert.Equal("CallStart", c.Method);
        Assert.Equal("sip:alice@example.com", c.Params["caller"]);
        Assert.Equal(2, c.Params.Count);
        Assert.True(Guid.TryParse(c.CmdId, out _));
        Assert.Contains("callee", Error(Req("CallStart", """{"caller":"sip:a@b"}"""), ErrorCodes.InvalidParams).Error.Data);
        Assert.StartsWith("caller:", Error(Req("CallStart", """{"caller":"<sip:a@b>","callee":"sip:c@d"}"""), ErrorCodes.InvalidParams).Error.Data);
        Assert.StartsWith("callee:", Error(Req("CallStart", """{"caller":"sip:a@b","callee":42}"""), ErrorCodes.InvalidParams).Error.Data);
    }

    [Fact]
    public void Unknown_param_is_named()
    {
        var e = Error(Req("CallEnd", """{"callid":"x","force":"yes"}"""), ErrorCodes.InvalidParams);
        Assert.StartsWith("force:", e.Error.Data);
    }

    [Fact]
    public void Missing_params_member_means_empty_params()
    {
        var e = Error("""{"jsonrpc":"2.0","id":1,"method":"CallEnd"}""", ErrorCodes.InvalidParams);
        Assert.StartsWith("callid: required", e.Error.Data);
    }

    [Fact]
    public void CallBlindTransfer_rules()
    {
        var c = Assert.IsType<RpcCommand>(One(Req("CallBlindTransfer", """{"callid":"abc@host","leg":"callee","destination":"sip:carol@example.com"}""")));
        Assert.Equal("callee", c.Params["leg"]);
        Assert.StartsWith("leg:", Error(Req("CallBlindTransfer", """{"callid":"a","leg":"both","destination":"sip:c@d"}"""), ErrorCodes.InvalidParams).Error.Data);
        Assert.StartsWith("destination:", Error(Req("CallBlindTransfer", """{"callid":"a","leg":"caller","destination":"tel:+123"}"""), ErrorCodes.InvalidParams).Error.Data);
        Assert.StartsWith("destination: required", Error(Req("CallBlindTransfer", """{"callid":"a","leg":"caller"}"""), ErrorCodes.InvalidParams).Error.Data);
    }

    [Fact]
    public void CallAttendedTransfer_aliases_are_normalised_and_destination_is_optional()
    {
        var c = Assert.IsType<RpcCommand>(One(Req("CallAttendedTransfer", """{"callidA":"a1","legA":"caller","callidB":"b1","legB":"callee"}""")));
        Assert.Equal(new Dictionary<string, string> { ["callid_a"] = "a1", ["leg_a"] = "caller", ["callid_b"] = "b1", ["leg_b"] = "callee" },
            c.Params.ToDictionary());
        var d = Assert.IsType<RpcCommand>(One(Req("CallAttendedTransfer", """{"callid_a":"a1","leg_a":"caller","callid_b":"b1","leg_b":"callee","destination":"sip:x@y"}""")));
        Assert.Equal("sip:x@y", d.Params["destination"]);
        Assert.Contains("more than once", Error(Req("CallAttendedTransfer", """{"callid_a":"a1","callidA":"a2","leg_a":"caller","callid_b":"b1","leg_b":"callee"}"""), ErrorCodes.InvalidParams).Error.Data);
        Assert.StartsWith("legB:", Error(Req("CallAttendedTransfer", """{"callid_a":"a1","leg_a":"caller","callid_b":"b1","legB":"x"}"""), ErrorCodes.InvalidParams).Error.Data);
    }

    [Fact]
    public void CallHold_and_CallUnHold_take_an_optional_leg_and_CallUnhold_is_an_alias()
    {
        Assert.Single(Assert.IsType<RpcCommand>(One(Req("CallHold", """{"callid":"x"}"""))).Params);
        Assert.Equal("caller", Assert.IsType<RpcCommand>(One(Req("CallHold", """{"callid":"x","leg":"caller"}"""))).Params["leg"]);
        Assert.Equal("CallUnHold", Assert.IsType<RpcCommand>(One(Req("CallUnHold", """{"callid":"x"}"""))).Method);
        Assert.Equal("CallUnHold", Assert.IsType<RpcCommand>(One(Req("CallUnhold", """{"callid":"x","leg":"callee"}"""))).Method);
        Assert.StartsWith("leg:", Error(Req("CallUnhold", """{"callid":"x","leg":"Caller"}"""), ErrorCodes.InvalidParams).Error.Data);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"a b\"")]
    [InlineData("\"a\\tb\"")]
    [InlineData("12")]
    [InlineData("null")]
    public void CallEnd_callid_rule(string callid) =>
        Assert.StartsWith("callid:", Error(Req("CallEnd", $$"""{"callid":{{callid}}}"""), ErrorCodes.InvalidParams).Error.Data);

    [Fact]
    public void Callid_length_limit_is_256()
    {
        Assert.IsType<RpcCommand>(One(Req("CallEnd", $$"""{"callid":"{{new string('c', 256)}}"}""")));
        Error(Req("CallEnd", $$"""{"callid":"{{new string('c', 257)}}"}"""), ErrorCodes.InvalidParams);
    }

    [Fact]
    public void Cmd_id_is_optional_on_commands_and_checked()
    {
        var c = Assert.IsType<RpcCommand>(One(Req("CallEnd", """{"callid":"x","cmd_id":"my-cmd"}""")));
        Assert.Equal("my-cmd", c.CmdId);
        Assert.False(c.Params.ContainsKey("cmd_id"));
        Assert.IsType<RpcCommand>(One(Req("CallEnd", $$"""{"callid":"x","cmd_id":"{{new string('k', 128)}}"}""")));
        foreach (var bad in new[] { "\"\"", $"\"{new string('k', 129)}\"", "\"a\\u0001b\"", "5" })
        {
            Assert.StartsWith("cmd_id:", Error(Req("CallEnd", $$"""{"callid":"x","cmd_id":{{bad}}}"""), ErrorCodes.InvalidParams).Error.Data);
        }
    }

    [Fact]
    public void CommandGet_and_CommandSubscribe_rules()
    {
        Assert.Equal("c1", Assert.IsType<RpcGet>(One(Req("CommandGet", """{"cmd_id":"c1"}"""))).CmdId);
        Assert.StartsWith("cmd_id: required", Error(Req("CommandGet", "{}"), ErrorCodes.InvalidParams).Error.Data);
        Assert.Equal(0, Assert.IsType<RpcSubscribe>(One(Req("CommandSubscribe", """{"cmd_id":"c1"}"""))).AfterSeq);
        Assert.Equal(3, Assert.IsType<RpcSubscribe>(One(Req("CommandSubscribe", """{"cmd_id":"c1","after_seq":3}"""))).AfterSeq);
        foreach (var bad in new[] { "-1", "1.5", "\"3\"", "null", "99999999999" })
        {
            Assert.StartsWith("after_seq:", Error(Req("CommandSubscribe", $$"""{"cmd_id":"c1","after_seq":{{bad}}}"""), ErrorCodes.InvalidParams).Error.Data);
        }
    }

    [Fact]
    public void CallList_and_CallGet_rules()
    {
        Assert.IsType<RpcQuery>(One(Req("CallList", "{}")));
        Assert.Equal("1000", Assert.IsType<RpcQuery>(One(Req("CallList", """{"limit":1000,"cursor":"abc"}"""))).Params["limit"]);
        Assert.StartsWith("limit:", Error(Req("CallList", """{"limit":0}"""), ErrorCodes.InvalidParams).Error.Data);
        Assert.StartsWith("limit:", Error(Req("CallList", """{"limit":1001}"""), ErrorCodes.InvalidParams).Error.Data);
        Assert.StartsWith("cursor:", Error(Req("CallList", """{"cursor":7}"""), ErrorCodes.InvalidParams).Error.Data);
        Assert.Equal("x", Assert.IsType<RpcQuery>(One(Req("CallGet", """{"callid":"x"}"""))).Params["callid"]);
        Assert.StartsWith("callid: required", Error(Req("CallGet", "{}"), ErrorCodes.InvalidParams).Error.Data);
    }

    [Theory]
    [InlineData("sip:alice@example.com")]
    [InlineData("sips:alice@example.com")]
    [InlineData("sip:example.com")]
    [InlineData("sip:alice@example.com:5060")]
    [InlineData("sip:alice@10.0.0.1:65535;transport=udp;lr")]
    [InlineData("sip:+15551234@[2001:db8::1]:5060")]
    [InlineData("sip:[::1]")]
    [InlineData("SIP:bob@EXAMPLE.com.")]
    [InlineData("sip:alice%20x@host-1.example.com")]
    public void Valid_sip_uris(string uri) => Assert.True(SipUri.IsValid(uri), uri);

    [Theory]
    [InlineData("")]
    [InlineData("alice@example.com")]
    [InlineData("tel:+15551234")]
    [InlineData("sip:")]
    [InlineData("sip:@example.com")]
    [InlineData("<sip:alice@example.com>")]
    [InlineData("sip:alice@example.com>")]
    [InlineData("sip:alice @example.com")]
    [InlineData("sip:alice@exa mple.com")]
    [InlineData("sip:alice@example.com ")]
    [InlineData("sip:alice@example.com:0")]
    [InlineData("sip:alice@example.com:65536")]
    [InlineData("sip:alice@example.com:")]
    [InlineData("sip:alice@example.com:50a")]
    [InlineData("sip:alice@example.com;")]
    [InlineData("sip:alice@example.com;=x")]
    [InlineData("sip:alice@-bad.com")]
    [InlineData("sip:alice@a..b")]
    [InlineData("sip:alice@999.1.1.1")]
    [InlineData("sip:alice@[nothex]")]
    [InlineData("sip:alice@bob@example.com")]
    [InlineData("sip:alice@example.com?subject=x")]
    public void Invalid_sip_uris(string uri) => Assert.False(SipUri.IsValid(uri), uri);
}
