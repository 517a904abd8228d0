using System.Text;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Tests;

/// <summary>The exact bytes of every native reply and notification (README.md, "Client protocol"): member names, member
/// order, "jsonrpc":"2.0" on every frame, optional members present only when they have a value, and the fixed
/// JSON-RPC error messages. A client parses these frames, so a dropped or renamed member is a protocol break.</summary>
public sealed class WireFormatTests
{
    private static string Text(byte[] frame) => Encoding.UTF8.GetString(frame);

    [Fact]
    public void An_event_notification_carries_jsonrpc_and_every_context_member_it_has()
    {
        var n = CommandNotification.Event("c-1", 3, EventCodes.CallStart, "call-9", "callee", "sip:bob@example.com", "180 Ringing");

        Assert.Equal(
            """{"jsonrpc":"2.0","method":"Event","params":{"cmd_id":"c-1","seq":3,"data":"CALL_START","callid":"call-9","leg":"callee","destination":"sip:bob@example.com","sip_status":"180 Ringing"}}""",
            Text(JsonRpcWriter.Notification(n)));
    }

    [Fact]
    public void An_event_without_context_has_only_cmd_id_seq_and_data()
    {
        var n = CommandNotification.Event("c-1", 2, EventCodes.TransferAccept);

        Assert.Equal("""{"jsonrpc":"2.0","method":"Event","params":{"cmd_id":"c-1","seq":2,"data":"TRANSFER_ACCEPT"}}""",
            Text(JsonRpcWriter.Notification(n)));
    }

    [Fact]
    public void Ended_ok_has_status_and_no_error_and_a_missing_status_is_written_ok()
    {
        Assert.Equal("""{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"c-1","seq":4,"status":"ok"}}""",
            Text(JsonRpcWriter.Notification(CommandNotification.EndedOk("c-1", 4))));
        Assert.Equal("""{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"c-1","seq":1,"status":"ok"}}""",
            Text(JsonRpcWriter.Notification(new CommandNotification("c-1", 1, NotificationKind.Ended))));
    }

    [Fact]
    public void Ended_failed_carries_the_error_code_and_message_and_no_event_members()
    {
        // Context members of an Ended are not written even when set: an Ended has status and error only.
        var n = CommandNotification.EndedFailed("c-1", 5, ErrorCodes.CallUnknown, "unknown call x") with { Data = "CALL_END", CallId = "x" };

        Assert.Equal(
            """{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"c-1","seq":5,"status":"failed","error":{"code":-32001,"message":"unknown call x"}}}""",
            Text(JsonRpcWriter.Notification(n)));
    }

    [Fact]
    public void Error_replies_echo_the_id_and_write_data_only_when_present()
    {
        Assert.Equal("""{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"Invalid params","data":"callid: required"}}""",
            Text(JsonRpcWriter.Error("7", RpcError.InvalidParams("callid: required"))));
        Assert.Equal("""{"jsonrpc":"2.0","id":"a\u00e9","error":{"code":-32700,"message":"Parse error"}}""",
            Text(JsonRpcWriter.Error("\"a\\u00e9\"", RpcError.Parse())));
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}""",
            Text(JsonRpcWriter.Error("null", RpcError.InvalidRequest())));
    }

    [Fact]
    public void Every_error_reply_is_counted_under_its_code_on_both_dialects()
    {
        // Codes no other test uses, so tests running in parallel cannot add to them.
        static double Count(int code) =>
            CallCluster.Hosting.Metrics.CallClusterMetrics.RpcErrors.WithLabels(code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Value;
        var native = Count(-32091);
        var original = Count(-32092);

        JsonRpcWriter.Error("1", new RpcError(-32091, "test"));
        new CallCluster.Gateway.Protocol.Compat.OriginalDialect(new MethodRegistry([CommandMethods.CallEnd])).Error("1", new RpcError(-32092, "test"));

        Assert.Equal(native + 1, Count(-32091));
        Assert.Equal(original + 1, Count(-32092));
    }

    [Fact]
    public void Every_error_has_its_JSON_RPC_code_and_a_non_empty_documented_message()
    {
        var all = new (RpcError Error, int Code, string Message, string? Data)[]
        {
            (RpcError.Parse(), -32700, "Parse error", null),
            (RpcError.Parse("p"), -32700, "Parse error", "p"),
            (RpcError.InvalidRequest(), -32600, "Invalid Request", null),
            (RpcError.InvalidRequest("r"), -32600, "Invalid Request", "r"),
            (RpcError.MethodNotFound(), -32601, "Method not found", null),
            (RpcError.MethodNotFound("m"), -32601, "Method not found", "m"),
            (RpcError.InvalidParams("i"), -32602, "Invalid params", "i"),
            (RpcError.Server("s"), -32000, "Server error", "s"),
            (RpcError.Overloaded("o"), -32004, "overloaded", "o"),
        };

        foreach (var (error, code, message, data) in all)
        {
            Assert.Equal((code, message, data), (error.Code, error.Message, error.Data));
        }
    }

    [Fact]
    public void Started_is_the_cmd_id_with_status_Started()
    {
        Assert.Equal("""{"jsonrpc":"2.0","id":1.50,"result":{"cmd_id":"c-1","status":"Started"}}""",
            Text(JsonRpcWriter.Started("1.50", "c-1")));
    }

    [Fact]
    public void CallGet_writes_dialog_id_state_parties_hold_started_at_and_cmd_ids()
    {
        var view = new DialogView("call-1", "1234.5678", "ft", "tt", 4, ["cmd-a", "cmd-b"],
            CallerHeld: true, CalleeHeld: false, Caller: "sip:alice@example.com", Callee: null, StartedAtMs: 1_796_284_800_123);

        Assert.Equal(
            """{"jsonrpc":"2.0","id":3,"result":{"callid":"call-1","dialog_id":"1234.5678","state":"confirmed","state_code":4,"caller":"sip:alice@example.com","callee":null,"hold":{"caller":true,"callee":false},"started_at":"2026-12-03T08:00:00.123Z","cmd_ids":["cmd-a","cmd-b"]}}""",
            Text(JsonRpcWriter.Call("3", view)));
    }

    [Fact]
    public void CallGet_of_a_dialog_without_id_or_start_time_leaves_dialog_id_out_and_started_at_null()
    {
        var view = new DialogView("call-2", null, null, null, 1, [], CallerHeld: false, CalleeHeld: true, Caller: null, Callee: "sip:bob@h");

        Assert.Equal(
            """{"jsonrpc":"2.0","id":3,"result":{"callid":"call-2","state":"unconfirmed","state_code":1,"caller":null,"callee":"sip:bob@h","hold":{"caller":false,"callee":true},"started_at":null,"cmd_ids":[]}}""",
            Text(JsonRpcWriter.Call("3", view)));
    }

    [Fact]
    public void Started_at_one_millisecond_after_the_epoch_is_written()
    {
        var view = new DialogView("c", null, null, null, 5, [], StartedAtMs: 1);

        Assert.Contains("\"started_at\":\"1970-01-01T00:00:00.001Z\"", Text(JsonRpcWriter.Call("1", view)), StringComparison.Ordinal);
    }

    [Fact]
    public void CallList_writes_calls_without_cmd_ids_and_next_cursor_as_string_or_null()
    {
        var a = new DialogView("a", "d-a", null, null, 4, ["cmd-1"], StartedAtMs: 0);
        var b = new DialogView("b", null, null, null, 2, []);

        Assert.Equal(
            """{"jsonrpc":"2.0","id":"l","result":{"calls":[{"callid":"a","dialog_id":"d-a","state":"confirmed","state_code":4,"caller":null,"callee":null,"hold":{"caller":false,"callee":false},"started_at":null},{"callid":"b","state":"early","state_code":2,"caller":null,"callee":null,"hold":{"caller":false,"callee":false},"started_at":null}],"next_cursor":"b"}}""",
            Text(JsonRpcWriter.CallList("\"l\"", [a, b], "b")));
        Assert.Equal("""{"jsonrpc":"2.0","id":2,"result":{"calls":[],"next_cursor":null}}""",
            Text(JsonRpcWriter.CallList("2", [], null)));
    }

    [Fact]
    public void Subscribed_gives_cmd_id_status_and_last_seq()
    {
        Assert.Equal("""{"jsonrpc":"2.0","id":4,"result":{"cmd_id":"c-1","status":"running","last_seq":2}}""",
            Text(JsonRpcWriter.Subscribed("4", new CommandSubscribed("c-1", CommandMethods.CallEnd, "running", 2))));
    }

    [Fact]
    public void Snapshot_gives_the_command_its_params_status_and_notifications_without_jsonrpc_per_notification()
    {
        var snapshot = new CommandSnapshot("c-1", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "x" }, "failed",
        [
            CommandNotification.Event("c-1", 1, EventCodes.CallEnd, "x"),
            CommandNotification.EndedFailed("c-1", 2, ErrorCodes.ProxyUnavailable, "the SIP proxy did not answer"),
        ]);

        Assert.Equal(
            """{"jsonrpc":"2.0","id":5,"result":{"cmd_id":"c-1","method":"CallEnd","params":{"callid":"x"},"status":"failed","notifications":[{"cmd_id":"c-1","seq":1,"data":"CALL_END","callid":"x"},{"cmd_id":"c-1","seq":2,"status":"failed","error":{"code":-32003,"message":"the SIP proxy did not answer"}}]}}""",
            Text(JsonRpcWriter.Snapshot("5", snapshot)));
    }

    [Fact]
    public void A_batch_reply_is_the_replies_joined_in_one_array()
    {
        var one = Encoding.UTF8.GetBytes("{\"a\":1}");
        var two = Encoding.UTF8.GetBytes("{\"b\":22}");
        var three = Encoding.UTF8.GetBytes("{}");

        Assert.Equal("[{\"a\":1}]", Text(JsonRpcWriter.Batch([one])));
        Assert.Equal("[{\"a\":1},{\"b\":22},{}]", Text(JsonRpcWriter.Batch([one, two, three])));
    }

    [Fact]
    public void Frames_written_one_after_another_do_not_share_bytes()
    {
        // The writer reuses one buffer per thread: each frame must be a copy, not a view of the next one.
        var first = JsonRpcWriter.Started("1", "first-command-with-a-long-id");
        var second = JsonRpcWriter.Started("2", "c");

        Assert.Equal("""{"jsonrpc":"2.0","id":1,"result":{"cmd_id":"first-command-with-a-long-id","status":"Started"}}""", Text(first));
        Assert.Equal("""{"jsonrpc":"2.0","id":2,"result":{"cmd_id":"c","status":"Started"}}""", Text(second));
    }

    [Fact]
    public void The_native_dialect_writes_the_same_frames_and_keeps_no_memory()
    {
        var dialect = NativeDialect.Default;
        var command = new RpcCommand("1", CommandMethods.CallEnd, "c-1", new Dictionary<string, string> { ["callid"] = "x" });
        var ended = CommandNotification.EndedOk("c-1", 1);

        Assert.Equal(WireDialect.Native, dialect.Kind);
        Assert.Null(dialect.Begin(command));
        var rendered = dialect.Render(ended, null);
        Assert.Null(rendered.Memory);
        Assert.Equal(Text(JsonRpcWriter.Notification(ended)), Text(Assert.Single(rendered.Frames)));
        Assert.Equal(Text(JsonRpcWriter.Started("1", "c-1")), Text(dialect.Started("1", "c-1")));
        Assert.Equal(Text(JsonRpcWriter.Error("1", RpcError.Server("s"))), Text(dialect.Error("1", RpcError.Server("s"))));
        var parsed = Assert.IsType<RpcCommand>(Assert.Single(dialect.Parse(Encoding.UTF8.GetBytes(
            """{"jsonrpc":"2.0","id":1,"method":"CallEnd","params":{"callid":"x"}}""")).Items));
        Assert.Equal("x", parsed.Params["callid"]);
    }
}
