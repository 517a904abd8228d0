using System.Text;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Protocol;
using CallCluster.Gateway.Protocol.Compat;

namespace CallCluster.Gateway.Tests.Compat;

/// <summary>The original dialect without a socket: each row of docs/compat-dialect.md's event table as exact frames,
/// every refusal's code and wording, and the request rules (one object per frame, params an object of strings,
/// unknown parameters dropped). The transcripts (TranscriptTests) replay whole conversations; these pin each case.</summary>
public sealed class OriginalDialectUnitTests
{
    private static readonly MethodRegistry Registry = new(MethodRegistry.All.Keys);
    private static readonly OriginalDialect Dialect = new(Registry);

    private static string Text(byte[] frame) => Encoding.UTF8.GetString(frame);

    private static OriginalCommandMemory Memory(string method, params (string Key, string Value)[] parameters) =>
        new(method, parameters.ToDictionary(p => p.Key, p => p.Value));

    /// <summary>The frames the dialect renders for <paramref name="notifications"/>, in order, memory carried along.</summary>
    private static List<string> Render(string originalMethod, IReadOnlyDictionary<string, string> parameters,
        params CommandNotification[] notifications)
    {
        var native = OriginalMethods.Native(originalMethod)!;
        DialectMemory? memory = Dialect.Begin(new RpcCommand("1", native, "c", parameters));
        var frames = new List<string>();
        foreach (var n in notifications)
        {
            var rendered = Dialect.Render(n, memory);
            frames.AddRange(rendered.Frames.Select(Text));
            memory = rendered.Memory;
        }

        return frames;
    }

    private static string Frame(string method, string eventName, string? data = null) =>
        "{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\",\"params\":{\"cmd_id\":\"c\"," +
        (data is null ? "" : "\"data\":" + data + ",") + "\"event\":\"" + eventName + "\"}}";

    private static CommandNotification Ev(int seq, string code, string? callId = null, string? leg = null, string? destination = null,
        string? sipStatus = null) => CommandNotification.Event("c", seq, code, callId, leg, destination, sipStatus);

    [Fact]
    public void CallStart_events_are_the_originals_with_caller_and_callee_repeated()
    {
        var p = new Dictionary<string, string> { ["caller"] = "sip:a@h", ["callee"] = "sip:b@h" };

        var frames = Render("CallStart", p,
            Ev(1, EventCodes.CallAnswer, "cc-1", "caller", sipStatus: "200 OK"),
            Ev(2, EventCodes.TransferAccept),
            Ev(3, EventCodes.TransferProgress, "new-1", sipStatus: "180 Ringing"),
            Ev(4, EventCodes.CallStart, "new-1"),
            Ev(5, EventCodes.TransferProgress, sipStatus: ""),
            Ev(6, EventCodes.CallAnswer, null, "callee"),
            Ev(7, EventCodes.CallEnd, "x"),
            CommandNotification.EndedOk("c", 8));

        Assert.Equal(
        [
            Frame("CallStart", "CallerAnswered", """{"callee":"sip:b@h","caller":"sip:a@h"}"""),
            Frame("CallStart", "Transferring", """{"caller":"sip:a@h","destination":"sip:b@h"}"""),
            Frame("CallStart", "TransferPending", """{"callee":"sip:b@h","caller":"sip:a@h","callid":"new-1","extra":"180 Ringing"}"""),
            Frame("CallStart", "TransferStart", """{"callee":"sip:b@h","caller":"sip:a@h","callid":"new-1"}"""),
            // No callid on the notification: the new call remembered from TransferStart; an empty status is left out.
            Frame("CallStart", "TransferPending", """{"callee":"sip:b@h","caller":"sip:a@h","callid":"new-1"}"""),
            Frame("CallStart", "CalleeAnswered", """{"callee":"sip:b@h","caller":"sip:a@h","callid":"new-1"}"""),
            Frame("CallStart", "Ended"),
        ], frames);
    }

    [Fact]
    public void A_CalleeAnswered_with_its_own_callid_names_it()
    {
        var p = new Dictionary<string, string> { ["caller"] = "sip:a@h", ["callee"] = "sip:b@h" };

        Assert.Equal([Frame("CallStart", "CalleeAnswered", """{"callee":"sip:b@h","caller":"sip:a@h","callid":"own"}""")],
            Render("CallStart", p, Ev(1, EventCodes.CallAnswer, "own", "callee")));
    }

    [Fact]
    public void An_event_with_its_own_callid_names_it_over_the_call_remembered()
    {
        var p = new Dictionary<string, string> { ["caller"] = "sip:a@h", ["callee"] = "sip:b@h" };

        Assert.Equal(
        [
            Frame("CallStart", "TransferStart", """{"callee":"sip:b@h","caller":"sip:a@h","callid":"new-1"}"""),
            Frame("CallStart", "TransferPending", """{"callee":"sip:b@h","caller":"sip:a@h","callid":"p-call","extra":"180 Ringing"}"""),
            Frame("CallStart", "CalleeAnswered", """{"callee":"sip:b@h","caller":"sip:a@h","callid":"own"}"""),
        ],
        Render("CallStart", p,
            Ev(1, EventCodes.CallStart, "new-1"),
            Ev(2, EventCodes.TransferProgress, "p-call", sipStatus: "180 Ringing"),
            Ev(3, EventCodes.CallAnswer, "own", "callee")));
    }

    [Fact]
    public void A_later_transfer_start_takes_its_destination_and_one_without_keeps_the_last_reported()
    {
        var p = new Dictionary<string, string> { ["callid"] = "x", ["leg"] = "caller", ["destination"] = "sip:d@h" };

        Assert.Equal(
        [
            Frame("CallBlindTransfer", "TransferStart", """{"callid":"n1","destination":"sip:one@h"}"""),
            Frame("CallBlindTransfer", "TransferStart", """{"callid":"n2","destination":"sip:two@h"}"""),
            Frame("CallBlindTransfer", "TransferStart", """{"callid":"n3","destination":"sip:two@h"}"""),
        ],
        Render("CallBlindTransfer", p,
            Ev(1, EventCodes.CallStart, "n1", destination: "sip:one@h"),
            Ev(2, EventCodes.CallStart, "n2", destination: "sip:two@h"),
            Ev(3, EventCodes.CallStart, "n3")));
    }

    [Fact]
    public void A_failed_command_sends_Error_with_the_reason_then_Ended()
    {
        var p = new Dictionary<string, string> { ["callid"] = "x" };

        Assert.Equal([Frame("CallEnd", "Error", "\"unknown call x\""), Frame("CallEnd", "Ended")],
            Render("CallEnd", p, Ev(1, EventCodes.CallEnd, "x"), CommandNotification.EndedFailed("c", 2, ErrorCodes.CallUnknown, "unknown call x")));
        Assert.Equal([Frame("CallEnd", "Error", "\"the command failed\""), Frame("CallEnd", "Ended")],
            Render("CallEnd", p, new CommandNotification("c", 1, NotificationKind.Ended, Status: CommandNotification.StatusFailed)));
    }

    [Fact]
    public void A_blind_transfer_names_the_destination_requested_until_the_proxy_reports_one()
    {
        var p = new Dictionary<string, string> { ["callid"] = "x", ["leg"] = "caller", ["destination"] = "sip:d@h" };

        Assert.Equal(
        [
            Frame("CallBlindTransfer", "Transferring", """{"destination":"sip:d@h"}"""),
            Frame("CallBlindTransfer", "TransferPending", """{"destination":"sip:d@h","extra":"100 Trying"}"""),
            Frame("CallBlindTransfer", "TransferStart", """{"callid":"new-1","destination":"sip:real@h"}"""),
            Frame("CallBlindTransfer", "TransferPending", """{"callid":"new-1","destination":"sip:real@h","extra":"183 Progress"}"""),
            Frame("CallBlindTransfer", "TransferSuccessful", """{"callid":"new-1","destination":"sip:real@h"}"""),
            Frame("CallBlindTransfer", "Ended"),
        ],
        Render("CallBlindTransfer", p,
            Ev(1, EventCodes.TransferAccept),
            Ev(2, EventCodes.TransferProgress, sipStatus: "100 Trying"),
            Ev(3, EventCodes.CallStart, "new-1", destination: "sip:real@h"),
            Ev(4, EventCodes.TransferProgress, sipStatus: "183 Progress"),
            Ev(5, EventCodes.CallHold, "x", "caller"),
            CommandNotification.EndedOk("c", 6)));
    }

    [Fact]
    public void A_blind_transfer_start_without_destination_keeps_the_requested_one()
    {
        var p = new Dictionary<string, string> { ["callid"] = "x", ["leg"] = "caller", ["destination"] = "sip:d@h" };

        Assert.Equal(
        [
            Frame("CallBlindTransfer", "TransferStart", """{"callid":"new-1","destination":"sip:d@h"}"""),
            Frame("CallBlindTransfer", "TransferSuccessful", """{"callid":"new-1","destination":"sip:d@h"}"""),
            Frame("CallBlindTransfer", "Ended"),
        ],
        Render("CallBlindTransfer", p, Ev(1, EventCodes.CallStart, "new-1"), CommandNotification.EndedOk("c", 2)));
    }

    [Fact]
    public void An_attended_transfer_has_no_data_in_Transferring_and_leaves_an_unknown_destination_out()
    {
        var p = new Dictionary<string, string> { ["callid_a"] = "a", ["leg_a"] = "caller", ["callid_b"] = "b", ["leg_b"] = "callee" };

        Assert.Equal(
        [
            Frame("CallAttendedTransfer", "Transferring"),
            Frame("CallAttendedTransfer", "TransferStart", """{"callid":"new-1"}"""),
            Frame("CallAttendedTransfer", "TransferPending", """{"callid":"new-1","extra":"180 Ringing"}"""),
            Frame("CallAttendedTransfer", "TransferSuccessful", """{"callid":"new-1"}"""),
            Frame("CallAttendedTransfer", "Ended"),
        ],
        Render("CallAttendedTransfer", p,
            Ev(1, EventCodes.TransferAccept),
            Ev(2, EventCodes.CallStart, "new-1"),
            Ev(3, EventCodes.TransferProgress, sipStatus: "180 Ringing"),
            CommandNotification.EndedOk("c", 4)));
    }

    [Fact]
    public void Hold_announces_once_then_reports_each_leg_and_ignores_other_codes()
    {
        var p = new Dictionary<string, string> { ["callid"] = "x" };

        Assert.Equal(
        [
            Frame("CallHold", "CallHolding"),
            Frame("CallHold", "CallHoldStart", """{"leg":"caller"}"""),
            Frame("CallHold", "CallHoldSuccessful", """{"leg":"caller"}"""),
            Frame("CallHold", "CallHoldStart", """{"leg":"callee"}"""),
            Frame("CallHold", "CallHoldSuccessful", """{"leg":"callee"}"""),
            Frame("CallHold", "Ended"),
        ],
        Render("CallHold", p,
            Ev(1, EventCodes.CallHold, "x", "caller"),
            Ev(2, EventCodes.CallUnhold, "x", "caller"),
            Ev(3, EventCodes.CallHold, "x", "callee"),
            CommandNotification.EndedOk("c", 4)));

        Assert.Equal(
        [
            Frame("CallUnhold", "CallUnholding"),
            Frame("CallUnhold", "CallUnholdStart", """{"leg":"callee"}"""),
            Frame("CallUnhold", "CallUnholdSuccessful", """{"leg":"callee"}"""),
        ],
        Render("CallUnhold", p, Ev(1, EventCodes.CallHold, "x", "caller"), Ev(2, EventCodes.CallUnhold, "x", "callee")));
    }

    [Fact]
    public void A_command_not_started_on_this_connection_renders_nothing()
    {
        var rendered = Dialect.Render(CommandNotification.EndedOk("c", 1), null);

        Assert.Empty(rendered.Frames);
        Assert.Null(rendered.Memory);
    }

    [Fact]
    public void The_memory_keeps_the_command_and_its_params()
    {
        var memory = Assert.IsType<OriginalCommandMemory>(Dialect.Begin(new RpcCommand("1", CommandMethods.CallEnd, "c",
            new Dictionary<string, string> { ["callid"] = "x" })));

        Assert.Equal(CommandMethods.CallEnd, memory.NativeMethod);
        Assert.Equal("x", memory.Param("callid"));
        Assert.Equal("", memory.Param("leg"));
        Assert.Equal(WireDialect.Original, Dialect.Kind);
        Assert.False(Memory(CommandMethods.CallHold).Announced);
    }

    [Fact]
    public void Replies_are_the_originals_frames()
    {
        Assert.Equal("""{"jsonrpc":"2.0","id":"r","result":{"cmd_id":"c","event":"Started"}}""", Text(Dialect.Started("\"r\"", "c")));
        Assert.Equal("""{"jsonrpc":"2.0","id":1,"error":{"code":32602,"message":"bad JSON-RPC parameters","data":"callid: required"}}""",
            Text(Dialect.Error("1", RpcError.InvalidParams("callid: required"))));
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"error":{"code":32000,"message":"busy"}}""",
            Text(OriginalWriter.Error("null", new RpcError(32000, "busy"))));
    }

    [Fact]
    public void Notification_data_members_are_sorted_and_text_data_is_a_string()
    {
        Assert.Equal("""{"jsonrpc":"2.0","method":"CallStart","params":{"cmd_id":"k","data":{"a":"1","b":"2","c":"3"},"event":"E"}}""",
            Text(OriginalWriter.Notification("CallStart", "k", OriginalEvent.WithFields("E", ("c", "3"), ("a", "1"), ("x", null), ("b", "2")))));
        Assert.Equal("""{"jsonrpc":"2.0","method":"CallEnd","params":{"cmd_id":"k","data":"why","event":"Error"}}""",
            Text(OriginalWriter.Notification("CallEnd", "k", OriginalEvent.Failed("why"))));
        Assert.Equal("""{"jsonrpc":"2.0","method":"CallEnd","params":{"cmd_id":"k","event":"Ended"}}""",
            Text(OriginalWriter.Notification("CallEnd", "k", OriginalEvent.End)));
        Assert.Equal(("Ended", "Error"), (OriginalEvent.Ended, OriginalEvent.Error));
    }

    [Theory]
    [InlineData(ErrorCodes.ParseError, 32700, "failed to parse JSON-RPC request")]
    [InlineData(ErrorCodes.InvalidRequest, 32600, "invalid JSON-RPC request")]
    [InlineData(ErrorCodes.InvalidParams, 32602, "bad JSON-RPC parameters")]
    [InlineData(ErrorCodes.MethodNotFound, -32601, "unknown JSON-RPC method")]
    [InlineData(ErrorCodes.ServerError, 32000, "native")]
    [InlineData(ErrorCodes.Overloaded, 32004, "native")]
    [InlineData(ErrorCodes.CallUnknown, 32001, "native")]
    [InlineData(0, 0, "native")]
    [InlineData(32001, 32001, "native")]
    public void Errors_are_restated_positive_with_the_originals_wording_and_keep_their_data(int code, int restatedCode, string message)
    {
        var restated = OriginalErrors.Restate(new RpcError(code, "native", "detail"));

        Assert.Equal((restatedCode, message, "detail"), (restated.Code, restated.Message, restated.Data));
    }

    [Fact]
    public void The_fixed_refusals_have_their_codes_and_wording()
    {
        Assert.Equal(new RpcError(32600, "non-object parameters are not accepted", "params must be an object"), OriginalErrors.NonObjectParams());
        Assert.Equal(new RpcError(32602, "bad cmd_id (must be a string)", "cmd_id must be a string"), OriginalErrors.BadCmdId());
    }

    [Fact]
    public void The_six_methods_map_both_ways_and_nothing_else_exists()
    {
        Assert.Equal(
            new[] { "CallAttendedTransfer", "CallBlindTransfer", "CallEnd", "CallHold", "CallStart", "CallUnhold" },
            OriginalMethods.Names.Order(StringComparer.Ordinal));
        Assert.Equal(CommandMethods.CallUnHold, OriginalMethods.Native("CallUnhold"));
        Assert.Equal(CommandMethods.CallStart, OriginalMethods.Native("CallStart"));
        Assert.Null(OriginalMethods.Native("CallUnHold"));
        Assert.Null(OriginalMethods.Native("NotifyEnd"));
        Assert.Equal("CallUnhold", OriginalMethods.Original(CommandMethods.CallUnHold));
        Assert.Equal("CallEnd", OriginalMethods.Original(CommandMethods.CallEnd));
        Assert.Equal("CallGet", OriginalMethods.Original("CallGet"));
    }

    // ---- requests -----------------------------------------------------------------------------------------------------

    private static RpcItem Parse(string json, OriginalDialect? dialect = null)
    {
        var frame = (dialect ?? Dialect).Parse(Encoding.UTF8.GetBytes(json));
        Assert.False(frame.IsBatch);
        return Assert.Single(frame.Items);
    }

    private static RpcInvalid Refused(string json, int code, string message, string data, string idJson = "1", OriginalDialect? dialect = null)
    {
        var e = Assert.IsType<RpcInvalid>(Parse(json, dialect));
        Assert.Equal((idJson, code, message, data), (e.IdJson, e.Error.Code, e.Error.Message, e.Error.Data));
        return e;
    }

    [Fact]
    public void A_request_takes_the_known_string_params_drops_the_others_and_keeps_cmd_id()
    {
        var command = Assert.IsType<RpcCommand>(Parse(
            """{"jsonrpc":"2.0","id":"q","method":"CallAttendedTransfer","params":{"callidA":"a","legA":"caller","callidB":"b","legB":"callee","colour":"red","cmd_id":"k"}}"""));

        Assert.Equal(("\"q\"", CommandMethods.CallAttendedTransfer, "k"), (command.IdJson, command.Method, command.CmdId));
        Assert.Equal(new Dictionary<string, string> { ["callid_a"] = "a", ["leg_a"] = "caller", ["callid_b"] = "b", ["leg_b"] = "callee" },
            command.Params);
    }

    [Fact]
    public void A_request_without_id_or_jsonrpc_is_answered_with_id_null()
    {
        var command = Assert.IsType<RpcCommand>(Parse("""{"method":"CallUnhold","params":{"callid":"x"}}"""));

        Assert.Equal(("null", CommandMethods.CallUnHold), (command.IdJson, command.Method));
        Assert.True(command.WantsReply);
    }

    [Fact]
    public void Refusals_have_the_originals_codes_wording_and_the_native_detail()
    {
        Refused("[]", ErrorCodes.InvalidRequest, "Invalid Request", "a request must be one JSON object (no batches)", "null");
        Refused("""{"id":1,"jsonrpc":"1.0","method":"CallEnd","params":{}}""", ErrorCodes.InvalidRequest, "Invalid Request", "jsonrpc must be \"2.0\"");
        Refused("""{"id":1,"jsonrpc":2,"method":"CallEnd","params":{}}""", ErrorCodes.InvalidRequest, "Invalid Request", "jsonrpc must be \"2.0\"");
        Refused("""{"id":1,"method":3,"params":{}}""", ErrorCodes.InvalidRequest, "Invalid Request", "method must be a string");
        Refused("""{"id":1,"params":{}}""", ErrorCodes.InvalidRequest, "Invalid Request", "method must be a string");
        Refused("""{"id":1,"method":"NotifyEnd","params":{}}""", ErrorCodes.MethodNotFound, "Method not found", "unknown method NotifyEnd");
        Refused("""{"id":1,"method":"CallGet","params":{"callid":"x"}}""", ErrorCodes.MethodNotFound, "Method not found", "unknown method CallGet");
        Refused("""{"id":1,"method":"CallEnd"}""", 32600, "non-object parameters are not accepted", "params must be an object");
        Refused("""{"id":1,"method":"CallEnd","params":["x"]}""", 32600, "non-object parameters are not accepted", "params must be an object");
        Refused("""{"id":1,"method":"CallEnd","params":{"callid":"x","cmd_id":5}}""", 32602, "bad cmd_id (must be a string)", "cmd_id must be a string");
        Refused("""{"id":1,"method":"CallEnd","params":{"callid":7}}""", 32602, "bad JSON-RPC parameters", "callid: parameter values must be strings");
        Refused("""{"id":1,"method":"CallEnd","params":{"colour":7,"callid":"x"}}""", 32602, "bad JSON-RPC parameters", "colour: parameter values must be strings");
        Refused("""{"id":1,"method":"CallEnd","params":{"callid":""}}""", ErrorCodes.InvalidParams, "Invalid params", "callid: " + ParamRules.RuleOf(ParamKind.CallId));
        Refused("""{"id":{},"method":"CallEnd","params":{"callid":"x"}}""", ErrorCodes.InvalidRequest, "Invalid Request", "id must be a string, a number or null", "null");
        Refused("""{"id":7,"id":[1],"method":"CallEnd","params":{"callid":"x"}}""", ErrorCodes.InvalidRequest, "Invalid Request", "id must be a string, a number or null", "null");
    }

    [Fact]
    public void Bad_frames_are_parse_errors_and_surrogates_are_invalid_requests()
    {
        var utf8 = Assert.IsType<RpcInvalid>(Assert.Single(Dialect.Parse(new byte[] { 0x7B, 0xC3, 0x28, 0x7D }).Items));
        Assert.Equal(("null", ErrorCodes.ParseError, "the frame is not valid UTF-8"), (utf8.IdJson, utf8.Error.Code, utf8.Error.Data));
        Refused("{", ErrorCodes.ParseError, "Parse error", "the frame is not valid JSON (or nested deeper than 64)", "null");
        Refused("""{"id":4,"method":"CallEnd","params":{"callid":"\ud800"}}""", ErrorCodes.InvalidRequest, "Invalid Request",
            "a string or member name holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)", "4");
        Refused("""{"method":"CallEnd","params":{"\udc00":"x"}}""", ErrorCodes.InvalidRequest, "Invalid Request",
            "a string or member name holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)", "null");
        Refused("\"\\ud800\"", ErrorCodes.InvalidRequest, "Invalid Request",
            "a string or member name holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)", "null");
        Refused("\"CallEnd\"", ErrorCodes.InvalidRequest, "Invalid Request", "a request must be one JSON object (no batches)", "null");
    }

    [Fact]
    public void A_command_disabled_on_this_server_is_refused_as_on_the_native_path()
    {
        var endOnly = new OriginalDialect(new MethodRegistry([CommandMethods.CallEnd]));

        Refused("""{"id":1,"method":"CallStart","params":{"caller":"sip:a@h","callee":"sip:b@h"}}""", ErrorCodes.MethodNotFound,
            "Method not found", "CallStart is not available on this server", dialect: endOnly);
        Assert.IsType<RpcCommand>(Parse("""{"id":1,"method":"CallEnd","params":{"callid":"x"}}""", endOnly));
    }
}
