using System.Text;
using System.Text.Json;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Tests;

/// <summary>The boundaries of every parameter rule and the text of every refusal (error.data names the parameter and
/// the rule, so a client can fix its request without reading the server's code). SIP URIs follow SipUri's documented
/// rule: port 1-65535, a host of at most 255 characters, labels of at most 63 (RFC 1035 §2.3.4).</summary>
public sealed class ValidationRulesTests
{
    private static readonly RequestParser AllMethods = new(new MethodRegistry(MethodRegistry.All.Keys));

    private static RpcItem One(string json, RequestParser? parser = null)
    {
        var frame = (parser ?? AllMethods).Parse(Encoding.UTF8.GetBytes(json));
        Assert.False(frame.IsBatch);
        return Assert.Single(frame.Items);
    }

    private static RpcInvalid Invalid(string json, RequestParser? parser = null) => Assert.IsType<RpcInvalid>(One(json, parser));

    private static string Req(string method, string @params, string id = "1") =>
        $$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}","params":{{@params}}}""";

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static string Label(int length, char c = 'a') => new(c, length);

    // ---- SIP URI boundaries -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("sip:alice@example.com:1", true)]
    [InlineData("sip:alice@example.com:65535", true)]
    [InlineData("sip:alice@example.com:00001", true)]
    [InlineData("sip:alice@example.com:0", false)]
    [InlineData("sip:alice@example.com:65536", false)]
    [InlineData("sip:alice@example.com:99999", false)]
    [InlineData("sip:alice@example.com:000001", false)]
    [InlineData("sip:alice@example.com:-1", false)]
    [InlineData("sip:alice@[::1]:1", true)]
    [InlineData("sip:alice@[::1]:65536", false)]
    [InlineData("sip:alice@[::1]:", false)]
    [InlineData("sip:alice@[::1]x", false)]
    [InlineData("sip:alice@[::1", false)]
    [InlineData("sip:alice@[]", false)]
    [InlineData("sip:alice@[10.0.0.1]", false)]
    [InlineData("sip:10.0.0.1", true)]
    [InlineData("sip:10.0.0.1.", true)]
    [InlineData("sip:10.0.1", false)]
    [InlineData("sip:1.2.3.4.5", false)]
    [InlineData("sip:256.1.1.1", false)]
    [InlineData("sip:12345", false)]
    [InlineData("sip:a1.b2", true)]
    [InlineData("sip:1a.example.com", true)]
    [InlineData("sip:host-1", true)]
    [InlineData("sip:host-", false)]
    [InlineData("sip:a_b.com", false)]
    [InlineData("sip:.example.com", false)]
    [InlineData("sip:example.com..", false)]
    [InlineData("sip:bob@", false)]
    [InlineData("sip:bob@;transport=udp", false)]
    [InlineData("sip:bob@:5060", false)]
    [InlineData("SIPS:bob@example.com", true)]
    [InlineData("sipx:bob@example.com", false)]
    [InlineData("si:bob@example.com", false)]
    public void Sip_uri_ports_and_hosts(string uri, bool valid) => Assert.Equal(valid, SipUri.IsValid(uri));

    [Fact]
    public void A_label_of_63_characters_is_valid_and_64_is_not()
    {
        Assert.True(SipUri.IsValid($"sip:bob@{Label(63)}.example.com"));
        Assert.False(SipUri.IsValid($"sip:bob@{Label(64)}.example.com"));
        Assert.True(SipUri.IsValid($"sip:bob@example.{Label(63, 'z')}"));
        Assert.False(SipUri.IsValid($"sip:bob@example.{Label(64, 'z')}"));
    }

    [Fact]
    public void A_host_of_255_characters_is_valid_and_256_is_not()
    {
        var host255 = string.Join('.', Label(63), Label(63), Label(63), Label(63)); // 4*63 + 3 dots = 255
        Assert.Equal(255, host255.Length);
        Assert.True(SipUri.IsValid("sip:bob@" + host255));
        Assert.True(SipUri.IsValid("sip:bob@" + host255 + ":5060;transport=tcp"));

        var host256 = string.Join('.', Label(63), Label(63), Label(63), Label(62), "b"); // 63*3 + 62 + 1 + 4 dots = 256
        Assert.Equal(256, host256.Length);
        Assert.False(SipUri.IsValid("sip:bob@" + host256));
    }

    [Fact]
    public void A_uri_of_1024_characters_is_valid_and_1025_is_not()
    {
        var prefix = "sip:bob@example.com;x=";
        var at1024 = prefix + Label(1024 - prefix.Length);
        Assert.Equal(1024, at1024.Length);
        Assert.True(SipUri.IsValid(at1024));
        Assert.False(SipUri.IsValid(at1024 + "a"));
        Assert.False(SipUri.IsValid(null));
    }

    [Theory]
    [InlineData("sip:a;b@example.com")]
    [InlineData("sip:a?b@example.com")]
    [InlineData("sip:a\"b@example.com")]
    [InlineData("sip:a\\b@example.com")]
    [InlineData("sip:alice@example.com;lr;")]
    [InlineData("sip:alice@example.com;transport=")]
    [InlineData("sip:alice@example.com;a=b=c")]
    [InlineData("sip:alice@example.com;a=b@c")]
    [InlineData("sip:alice@example.com;a=b?c")]
    [InlineData("sip:alice@example.com;a=@b")]
    [InlineData("sip:alice@example.com;a==b")]
    [InlineData("sip:alice@example.com;a/b=c")]
    [InlineData("sip:alice@example.com\u0001")]
    [InlineData("sip:alice@example.com\u00a0")]
    public void Sip_uri_users_and_parameters_that_are_refused(string uri) => Assert.False(SipUri.IsValid(uri), uri);

    [Theory]
    [InlineData("sip:alice@example.com;lr")]
    [InlineData("sip:alice@example.com;maddr=10.0.0.1;ttl=5")]
    [InlineData("sip:alice@example.com;x-tok.en!%*_+`'~=v")]
    [InlineData("sip:a.b-c+d%20@example.com")]
    public void Sip_uri_users_and_parameters_that_are_accepted(string uri) => Assert.True(SipUri.IsValid(uri), uri);

    // ---- ParamRules ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Every_rule_text_is_the_documented_one()
    {
        Assert.Equal(SipUri.Rule, ParamRules.RuleOf(ParamKind.SipUri));
        Assert.Equal("must be a non-empty string of at most 256 characters without whitespace", ParamRules.RuleOf(ParamKind.CallId));
        Assert.Equal("must be \"caller\" or \"callee\"", ParamRules.RuleOf(ParamKind.Leg));
        Assert.Equal("must be a string of 1-128 characters without control characters", ParamRules.RuleOf(ParamKind.CmdId));
        Assert.Equal("must be a non-negative integer", ParamRules.RuleOf(ParamKind.NonNegativeInt));
        Assert.Equal("must be an integer from 1 to 1000", ParamRules.RuleOf(ParamKind.Limit));
        Assert.Equal("must be a non-empty string of at most 1024 characters", ParamRules.RuleOf(ParamKind.Cursor));
        Assert.Equal("is malformed", ParamRules.RuleOf((ParamKind)99));
        Assert.StartsWith("must be a SIP URI: sip: or sips:", SipUri.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ParamKind.NonNegativeInt, "0", "0")]
    [InlineData(ParamKind.NonNegativeInt, "2147483647", "2147483647")]
    [InlineData(ParamKind.NonNegativeInt, "-1", null)]
    [InlineData(ParamKind.NonNegativeInt, "2147483648", null)]
    [InlineData(ParamKind.NonNegativeInt, "1.5", null)]
    [InlineData(ParamKind.NonNegativeInt, "\"3\"", null)]
    [InlineData(ParamKind.Limit, "1", "1")]
    [InlineData(ParamKind.Limit, "1000", "1000")]
    [InlineData(ParamKind.Limit, "0", null)]
    [InlineData(ParamKind.Limit, "1001", null)]
    [InlineData(ParamKind.Limit, "\"10\"", null)]
    [InlineData(ParamKind.Limit, "true", null)]
    [InlineData(ParamKind.Leg, "\"caller\"", "caller")]
    [InlineData(ParamKind.Leg, "\"callee\"", "callee")]
    [InlineData(ParamKind.Leg, "\"Caller\"", null)]
    [InlineData(ParamKind.Leg, "1", null)]
    [InlineData(ParamKind.Cursor, "\"x\"", "x")]
    [InlineData(ParamKind.Cursor, "\"\"", null)]
    [InlineData(ParamKind.CmdId, "\"a b\"", "a b")]
    [InlineData(ParamKind.CmdId, "\"a\\u0007b\"", null)]
    [InlineData(ParamKind.CmdId, "\"\"", null)]
    [InlineData(ParamKind.CallId, "\"a\\u0085b\"", null)]
    [InlineData(ParamKind.CallId, "\"a\\u0007b\"", null)]
    [InlineData(ParamKind.SipUri, "\"sip:a@b\"", "sip:a@b")]
    [InlineData(ParamKind.SipUri, "\"tel:1\"", null)]
    public void Normalise_keeps_valid_values_as_strings_and_refuses_the_rest(ParamKind kind, string json, string? expected) =>
        Assert.Equal(expected, ParamRules.Normalise(kind, Json(json)));

    [Fact]
    public void Length_limits_of_cursor_cmd_id_and_callid_are_inclusive()
    {
        Assert.True(ParamRules.IsValid(ParamKind.Cursor, Label(1024)));
        Assert.False(ParamRules.IsValid(ParamKind.Cursor, Label(1025)));
        Assert.True(ParamRules.IsCmdId(Label(128)));
        Assert.False(ParamRules.IsCmdId(Label(129)));
        Assert.True(ParamRules.IsCallId(Label(256)));
        Assert.False(ParamRules.IsCallId(Label(257)));
        Assert.False(ParamRules.IsCallId(""));
        Assert.False(ParamRules.IsValid(ParamKind.NonNegativeInt, "1"));
        Assert.False(ParamRules.IsValid(ParamKind.Limit, "1"));
    }

    // ---- MethodSpec and MethodRegistry ---------------------------------------------------------------------------------

    [Fact]
    public void A_parameter_given_twice_under_its_name_and_alias_is_refused_naming_both()
    {
        var e = Invalid(Req("CallAttendedTransfer",
            """{"callid_a":"a","callidA":"a2","leg_a":"caller","callid_b":"b","leg_b":"callee"}"""));

        Assert.Equal(ErrorCodes.InvalidParams, e.Error.Code);
        Assert.Equal("Invalid params", e.Error.Message);
        Assert.Equal("callidA: callid_a is given more than once", e.Error.Data);
    }

    [Fact]
    public void Unknown_bad_and_missing_parameters_are_named_with_their_rule()
    {
        Assert.Equal("colour: unknown parameter of CallEnd", Invalid(Req("CallEnd", """{"colour":"red"}""")).Error.Data);
        Assert.Equal("callid: " + ParamRules.RuleOf(ParamKind.CallId), Invalid(Req("CallEnd", """{"callid":""}""")).Error.Data);
        Assert.Equal("callid: required; " + ParamRules.RuleOf(ParamKind.CallId), Invalid(Req("CallEnd", "{}")).Error.Data);
        Assert.Equal("legB: " + ParamRules.RuleOf(ParamKind.Leg),
            Invalid(Req("CallAttendedTransfer", """{"callid_a":"a","leg_a":"caller","callid_b":"b","legB":"both"}""")).Error.Data);
        Assert.Equal("callee: required; " + SipUri.Rule, Invalid(Req("CallStart", """{"caller":"sip:a@b"}""")).Error.Data);
    }

    [Fact]
    public void A_command_without_cmd_id_gets_a_generated_uuid_and_cmd_id_is_not_a_param()
    {
        var first = Assert.IsType<RpcCommand>(One(Req("CallEnd", """{"callid":"x"}""")));
        var second = Assert.IsType<RpcCommand>(One(Req("CallEnd", """{"callid":"x"}""")));
        var given = Assert.IsType<RpcCommand>(One(Req("CallEnd", """{"callid":"x","cmd_id":"mine"}""")));

        Assert.True(Guid.TryParseExact(first.CmdId, "D", out _), first.CmdId);
        Assert.NotEqual(first.CmdId, second.CmdId);
        Assert.Equal("mine", given.CmdId);
        Assert.Equal(["callid"], given.Params.Keys);
        Assert.Equal("CallEnd", given.Method);
        Assert.Equal("1", given.IdJson);
    }

    [Fact]
    public void CommandSubscribe_after_seq_defaults_to_zero_and_CommandGet_takes_the_cmd_id()
    {
        Assert.Equal(0, Assert.IsType<RpcSubscribe>(One(Req("CommandSubscribe", """{"cmd_id":"c"}"""))).AfterSeq);
        var subscribe = Assert.IsType<RpcSubscribe>(One(Req("CommandSubscribe", """{"cmd_id":"c","after_seq":12}""")));
        Assert.Equal(("c", 12), (subscribe.CmdId, subscribe.AfterSeq));
        var get = Assert.IsType<RpcGet>(One(Req("CommandGet", """{"cmd_id":"g"}""", "\"x\"")));
        Assert.Equal(("g", "\"x\""), (get.CmdId, get.IdJson));
        var query = Assert.IsType<RpcQuery>(One(Req("CallList", """{"limit":5,"cursor":"k"}""")));
        Assert.Equal(("CallList", "5", "k"), (query.Method, query.Params["limit"], query.Params["cursor"]));
    }

    [Fact]
    public void Only_commands_take_cmd_id_and_every_method_has_its_parameters()
    {
        Assert.Equal(["caller", "callee", "cmd_id"], MethodRegistry.All[CommandMethods.CallStart].Params.Select(p => p.Name));
        Assert.Equal(["callid", "cmd_id"], MethodRegistry.All[CommandMethods.CallEnd].Params.Select(p => p.Name));
        Assert.Equal(["callid"], MethodRegistry.All[CommandMethods.CallGet].Params.Select(p => p.Name));
        Assert.Equal(["limit", "cursor"], MethodRegistry.All[CommandMethods.CallList].Params.Select(p => p.Name));
        Assert.Equal(MethodKind.Query, MethodRegistry.All[CommandMethods.CallGet].Kind);
        Assert.Equal("colour: unknown parameter of CallGet",
            Invalid(Req("CallGet", """{"callid":"x","colour":"red"}""")).Error.Data);
        Assert.Equal("cmd_id: unknown parameter of CallGet", Invalid(Req("CallGet", """{"callid":"x","cmd_id":"c"}""")).Error.Data);
    }

    [Fact]
    public void The_registry_resolves_aliases_and_says_why_a_method_is_refused()
    {
        var registry = new MethodRegistry([CommandMethods.CallEnd, "CallUnhold"]);

        Assert.True(registry.Enabled.SetEquals([CommandMethods.CallEnd, CommandMethods.CallUnHold]));
        Assert.Same(MethodRegistry.All[CommandMethods.CallUnHold], registry.Resolve("CallUnhold", out var none));
        Assert.Null(none);
        Assert.Null(registry.Resolve("CallDance", out var unknown));
        Assert.Equal((ErrorCodes.MethodNotFound, "Method not found", "unknown method CallDance"),
            (unknown!.Code, unknown.Message, unknown.Data));
        Assert.Null(registry.Resolve(CommandMethods.CallStart, out var disabled));
        Assert.Equal("CallStart is not available on this server", disabled!.Data);

        var e = Assert.Throws<ArgumentException>(() => new MethodRegistry([CommandMethods.CallEnd, "Dance", "Sing"]));
        Assert.Matches(@"^unknown method\(s\) in enabled-methods: (Dance, Sing|Sing, Dance) ", e.Message);
        Assert.Equal("enabledMethods", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => new MethodRegistry(null!));
    }

    // ---- RequestParser ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"CallEnd"}""", "jsonrpc must be \"2.0\"")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":7}""", "method must be a string")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"CallEnd","params":[]}""", "params must be an object")]
    [InlineData("""{"jsonrpc":"2.0","id":{},"method":"CallEnd"}""", "id must be a string, a number or null")]
    [InlineData("""[1]""", "a request must be a JSON object")]
    [InlineData("""{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"CallEnd"}""", "member jsonrpc is given more than once")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"CallEnd","method":"CallEnd"}""", "member method is given more than once")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"CallEnd","params":{},"params":{}}""", "member params is given more than once")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"id":1,"method":"CallEnd"}""", "member id is given more than once")]
    public void Invalid_requests_say_what_is_wrong(string json, string data)
    {
        var frame = AllMethods.Parse(Encoding.UTF8.GetBytes(json));
        var e = Assert.IsType<RpcInvalid>(frame.Items[0]);

        Assert.Equal((ErrorCodes.InvalidRequest, "Invalid Request", data), (e.Error.Code, e.Error.Message, e.Error.Data));
    }

    [Fact]
    public void A_duplicate_member_before_any_id_is_answered_with_id_null_and_after_it_with_the_id()
    {
        Assert.Equal("null", Invalid("""{"method":"CallEnd","method":"CallEnd","id":5}""").IdJson);
        Assert.Equal("5", Invalid("""{"id":5,"method":"CallEnd","method":"CallEnd"}""").IdJson);
        Assert.Equal("null", Invalid("""{"id":[5],"jsonrpc":"2.0","method":"CallEnd"}""").IdJson);
        // After an invalid id, a second id is a duplicate member: a valid one does not rescue the request.
        var twice = Invalid("""{"id":[5],"id":6,"jsonrpc":"2.0","method":"CallEnd"}""");
        Assert.Equal(("null", "member id is given more than once"), (twice.IdJson, twice.Error.Data));
    }

    [Fact]
    public void Extra_members_are_tolerated()
    {
        var command = Assert.IsType<RpcCommand>(One("""{"jsonrpc":"2.0","id":1,"method":"CallEnd","x-trace":"t","params":{"callid":"c"}}"""));
        Assert.Equal("c", command.Params["callid"]);
    }

    [Fact]
    public void Parse_errors_name_the_cause()
    {
        var utf8 = Invalid("", null);
        Assert.Equal((ErrorCodes.ParseError, "Parse error", "the frame is not valid JSON (or nested deeper than 64)"),
            (utf8.Error.Code, utf8.Error.Message, utf8.Error.Data));
        var bad = Assert.IsType<RpcInvalid>(Assert.Single(AllMethods.Parse(new byte[] { 0x7B, 0xFF, 0x7D }).Items));
        Assert.Equal(("null", "the frame is not valid UTF-8"), (bad.IdJson, bad.Error.Data));
    }

    [Fact]
    public void Nesting_of_64_levels_is_read_and_65_is_a_parse_error()
    {
        // The request object is level 1; params and 62 nested arrays inside an extra member make 64.
        string Nested(int depth) =>
            """{"jsonrpc":"2.0","id":1,"method":"CallEnd","params":{"callid":"c"},"x":""" + new string('[', depth - 1) + new string(']', depth - 1) + "}";

        Assert.IsType<RpcCommand>(One(Nested(64)));
        Assert.Equal(ErrorCodes.ParseError, Invalid(Nested(65)).Error.Code);
    }

    [Fact]
    public void A_batch_at_the_limit_is_answered_element_by_element_and_one_over_is_refused_whole()
    {
        var parser = new RequestParser(new MethodRegistry(MethodRegistry.All.Keys), maxBatch: 3);
        string Batch(int n) => "[" + string.Join(',', Enumerable.Range(1, n).Select(i => Req("CallEnd", """{"callid":"c"}""", i.ToString()))) + "]";

        var three = parser.Parse(Encoding.UTF8.GetBytes(Batch(3)));
        Assert.True(three.IsBatch);
        Assert.Equal(["1", "2", "3"], three.Items.Select(i => i.IdJson));

        var four = parser.Parse(Encoding.UTF8.GetBytes(Batch(4)));
        Assert.False(four.IsBatch);
        var refused = Assert.IsType<RpcInvalid>(Assert.Single(four.Items));
        Assert.Equal(("null", ErrorCodes.InvalidRequest, "a batch holds at most 3 requests, this one 4"),
            (refused.IdJson, refused.Error.Code, refused.Error.Data));

        var one = parser.Parse(Encoding.UTF8.GetBytes(Batch(1)));
        Assert.True(one.IsBatch);
        Assert.Single(one.Items);
        Assert.Equal("empty batch", Assert.IsType<RpcInvalid>(Assert.Single(parser.Parse("[]"u8.ToArray()).Items)).Error.Data);
    }

    [Fact]
    public void Unpaired_surrogates_anywhere_are_refused_with_the_readable_id()
    {
        const string data = "a string or member name holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)";
        var inValue = Invalid("""{"jsonrpc":"2.0","id":9,"method":"CallEnd","params":{"callid":"\ud800"}}""");
        Assert.Equal(("9", ErrorCodes.InvalidRequest, data), (inValue.IdJson, inValue.Error.Code, inValue.Error.Data));

        var inName = Invalid("""{"jsonrpc":"2.0","id":"k","method":"CallEnd","params":{"\udc00":"x"}}""");
        Assert.Equal("\"k\"", inName.IdJson);

        var inArray = Invalid("""{"jsonrpc":"2.0","method":"CallEnd","x":[1,["\ud800"]]}""");
        Assert.Equal("null", inArray.IdJson);

        // An id holding the escape is echoed as the client wrote it (raw JSON text, never decoded).
        Assert.Equal("\"\\ud800\"", Invalid("""{"jsonrpc":"2.0","id":"\ud800","method":"CallEnd"}""").IdJson);
        // An id that is an object is not readable either; a later readable one is taken.
        Assert.Equal("3", Invalid("""{"id":{},"id":3,"x":"\ud800"}""").IdJson);

        // The first readable member named id, wherever it stands.
        Assert.Equal("2", Invalid("""{"x":1,"\ud800":1,"id":2,"y":"\ud800"}""").IdJson);

        // A batch element that is not an object has no id to read.
        var element = Assert.IsType<RpcInvalid>(Assert.Single(AllMethods.Parse(Encoding.UTF8.GetBytes("""["\ud800"]""")).Items));
        Assert.Equal(("null", data), (element.IdJson, element.Error.Data));

        var batch = AllMethods.Parse(Encoding.UTF8.GetBytes("""[{"jsonrpc":"2.0","id":1,"method":"CallEnd","params":{"callid":"\ud800"}},""" +
                                                            Req("CallEnd", """{"callid":"c"}""", "2") + "]"));
        Assert.IsType<RpcInvalid>(batch.Items[0]);
        Assert.IsType<RpcCommand>(batch.Items[1]);
    }

    [Fact]
    public void Paired_surrogates_are_ordinary_text()
    {
        Assert.False(RequestParser.HasUnpairedSurrogate(Json("""{"a":["\ud83d\ude00",1,true,null,{"b":"c"}]}""")));
        Assert.True(RequestParser.HasUnpairedSurrogate(Json("""{"a":[1,{"b":"\ude00"}]}""")));
        Assert.True(RequestParser.HasUnpairedSurrogate(Json("""["x","\ud800"]""")));
        Assert.False(RequestParser.HasUnpairedSurrogate(Json("""["x",2]""")));
        Assert.False(RequestParser.HasUnpairedSurrogate(Json("12")));
    }

    [Fact]
    public void Refused_frames_are_one_invalid_item_with_id_null()
    {
        var frame = RequestParser.Refused(RpcError.InvalidRequest("binary frames are not accepted"));

        Assert.False(frame.IsBatch);
        var item = Assert.IsType<RpcInvalid>(Assert.Single(frame.Items));
        Assert.Equal("null", item.IdJson);
        Assert.True(item.WantsReply);
        Assert.False(new RpcGet(null, "c").WantsReply);
    }
}
