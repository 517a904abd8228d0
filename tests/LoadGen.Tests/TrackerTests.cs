using System.Diagnostics;
using System.Text;
using CallCluster.LoadGen;

namespace CallCluster.LoadGen.Tests;

/// <summary>Scripted frame sequences through <see cref="ConnectionTracker"/>: pairing, ordering, error mapping.</summary>
public class TrackerTests
{
    private const string P = "lg-test-0-";
    private long _now = Stopwatch.GetTimestamp();

    private Outcome Feed(ConnectionTracker t, string json)
    {
        _now += Stopwatch.Frequency / 1000; // 1 ms per frame
        return t.OnFrame(Encoding.UTF8.GetBytes(json), _now);
    }

    private static string Reply(long id, string cmdId) =>
        $$$$"""{"jsonrpc":"2.0","id":{{{{id}}}},"result":{"cmd_id":"{{{{cmdId}}}}","status":"Started"}}""";

    private static string Event(string cmdId, long seq) =>
        $$$$"""{"jsonrpc":"2.0","method":"Event","params":{"cmd_id":"{{{{cmdId}}}}","seq":{{{{seq}}}},"data":"CALL_END","callid":"c1"}}""";

    private static string EndedOk(string cmdId, long seq) =>
        $$$$"""{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"{{{{cmdId}}}}","seq":{{{{seq}}}},"status":"ok"}}""";

    private static string EndedFailed(string cmdId, long seq, int code) =>
        $$$$"""{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"{{{{cmdId}}}}","seq":{{{{seq}}}},"status":"failed","error":{"code":{{{{code}}}},"message":"x"}}}""";

    private ConnectionTracker NewTracker(Dialect d = Dialect.CallCluster, bool serverIds = false) => new(P, d, serverIds);

    private long Begin(ConnectionTracker t, int slot = 0) => t.Begin(_now, measured: true, slot);

    [Fact]
    public void Clean_flow_completes_with_no_wrong_pairing()
    {
        var t = NewTracker();
        long n1 = Begin(t, 0), n2 = Begin(t, 1);
        Assert.Equal(1, n1);
        Assert.Equal(2, n2);
        Assert.False(Feed(t, Reply(2, P + "2")).Completed);
        Assert.False(Feed(t, Reply(1, P + "1")).Completed);
        Feed(t, Event(P + "2", 1));
        Feed(t, Event(P + "1", 1));
        var o1 = Feed(t, EndedOk(P + "1", 2));
        Assert.Equal(new Outcome(true, 1, true, 0), o1);
        var o2 = Feed(t, EndedOk(P + "2", 2));
        Assert.Equal(new Outcome(true, 2, true, 1), o2);
        var s = t.Stats;
        Assert.Equal(0, s.WrongPairingTotal);
        Assert.Equal(0, s.ErrorTotal);
        Assert.Equal(2, s.Accepted);
        Assert.Equal(2, s.EndedOk);
        Assert.Equal(2, s.Events);
        Assert.Equal(2, s.Accept.Count);
        Assert.Equal(2, s.Flow.Count);
        Assert.Equal(0, t.LiveCount);
    }

    [Fact]
    public void Reply_with_an_id_that_is_not_outstanding()
    {
        var t = NewTracker();
        Begin(t);
        Feed(t, Reply(7, P + "7"));
        Assert.Equal(1, t.Stats.WrongPairing["reply_unknown_id"]);
        Feed(t, """{"jsonrpc":"2.0","id":"abc","result":{"cmd_id":"x","status":"Started"}}""");
        Assert.Equal(2, t.Stats.WrongPairing["reply_unknown_id"]);
    }

    [Fact]
    public void Duplicate_reply_is_counted_once_and_ignored()
    {
        var t = NewTracker();
        Begin(t);
        Feed(t, Reply(1, P + "1"));
        Feed(t, Reply(1, P + "1"));
        Assert.Equal(1, t.Stats.WrongPairing["reply_duplicate"]);
        Assert.Equal(1, t.Stats.Accepted);
    }

    [Fact]
    public void Swapped_replies_are_detected_by_cmd_id()
    {
        var t = NewTracker();
        Begin(t, 0);
        Begin(t, 1);
        Feed(t, Reply(1, P + "2"));
        Feed(t, Reply(2, P + "1"));
        Assert.Equal(2, t.Stats.WrongPairing["reply_cmd_id_mismatch"]);
        Assert.True(Feed(t, EndedOk(P + "1", 1)).Completed);
        Assert.True(Feed(t, EndedOk(P + "2", 1)).Completed);
    }

    [Fact]
    public void Notifications_for_unknown_and_finished_commands()
    {
        var t = NewTracker();
        Begin(t);
        Feed(t, Reply(1, P + "1"));
        Feed(t, EndedOk(P + "1", 1));
        Feed(t, EndedOk(P + "1", 1));                 // duplicate Ended after the end
        Feed(t, Event(P + "9", 1));                   // never sent by us
        Feed(t, Event("lg-other-3-1", 1));            // another connection's command
        Feed(t, Event("b8179f1e-b4e4-4ac7-9990-4bf64f084178", 1));
        Assert.Equal(1, t.Stats.WrongPairing["notification_after_end"]);
        Assert.Equal(3, t.Stats.WrongPairing["notification_unknown_cmd_id"]);
        Assert.Equal(1, t.Stats.EndedOk);
    }

    [Fact]
    public void Sequence_gaps_duplicates_and_missing_seq()
    {
        var t = NewTracker();
        Begin(t);
        Feed(t, Reply(1, P + "1"));
        Feed(t, Event(P + "1", 1));
        Feed(t, Event(P + "1", 1));                   // duplicate: ignored
        Feed(t, Event(P + "1", 3));                   // gap (2 missing)
        Feed(t, """{"jsonrpc":"2.0","method":"Event","params":{"cmd_id":"lg-test-0-1","data":"CALL_END"}}""");
        var end = Feed(t, EndedOk(P + "1", 4));
        Assert.True(end.Completed);
        Assert.Equal(1, t.Stats.WrongPairing["seq_duplicate"]);
        Assert.Equal(1, t.Stats.WrongPairing["seq_gap"]);
        Assert.Equal(1, t.Stats.WrongPairing["seq_missing"]);
        Assert.Equal(3, t.Stats.Events);
    }

    [Fact]
    public void Out_of_order_notifications_count_as_gap_then_regression()
    {
        var t = NewTracker();
        Begin(t);
        Feed(t, Reply(1, P + "1"));
        Feed(t, EndedOk(P + "1", 2));                 // Ended before its seq 1 Event
        Feed(t, Event(P + "1", 1));
        Assert.Equal(1, t.Stats.WrongPairing["seq_gap"]);
        Assert.Equal(1, t.Stats.WrongPairing["notification_after_end"]);
    }

    [Fact]
    public void Notification_before_reply_is_a_contract_violation()
    {
        var t = NewTracker();
        Begin(t);
        Feed(t, Event(P + "1", 1));
        Feed(t, Reply(1, P + "1"));
        Feed(t, EndedOk(P + "1", 2));
        Assert.Equal(1, t.Stats.WrongPairing["notification_before_reply"]);
        Assert.Equal(1, t.Stats.EndedOk);
    }

    [Fact]
    public void Error_replies_and_failed_ends_are_errors_by_code()
    {
        var t = NewTracker();
        Begin(t, 0);
        Begin(t, 1);
        Begin(t, 2);
        var rejected = Feed(t, """{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"not available on this server"}}""");
        Assert.Equal(new Outcome(true, 1, false, 0), rejected);
        Feed(t, Reply(2, P + "2"));
        var failed = Feed(t, EndedFailed(P + "2", 1, -32001));
        Assert.Equal(new Outcome(true, 2, false, 1), failed);
        Feed(t, """{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}""");
        Feed(t, "not json at all");
        Feed(t, """{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"lg-test-0-3","seq":1,"status":"weird"}}""");
        Assert.Equal(1, t.Stats.Errors["rpc_-32601"]);
        Assert.Equal(1, t.Stats.Errors["ended_-32001"]);
        Assert.Equal(1, t.Stats.Errors["rpc_-32700"]);
        Assert.Equal(1, t.Stats.Errors["protocol_unparsable"]);
        Assert.Equal(1, t.Stats.Errors["protocol_ended_bad_status"]);
        Assert.Equal(1, t.Stats.Rejected);
        Assert.Equal(2, t.Stats.EndedFailed);
        Assert.Equal(1, t.Stats.WrongPairing["reply_unknown_id"]);
        Assert.Equal(1, t.Stats.WrongPairing["notification_before_reply"]);
    }

    [Fact]
    public void Finish_counts_never_ended_and_never_replied()
    {
        var t = NewTracker();
        Begin(t, 0);
        Begin(t, 1);
        Begin(t, 2);
        Feed(t, Reply(1, P + "1"));
        Feed(t, Reply(2, P + "2"));
        Feed(t, EndedOk(P + "2", 1));
        t.Finish();
        Assert.Equal(1, t.Stats.NeverEnded);
        Assert.Equal(1, t.Stats.NeverReplied);
        Assert.Equal(0, t.LiveCount);
    }

    [Fact]
    public void Server_generated_cmd_ids_are_learnt_from_replies()
    {
        var t = NewTracker(serverIds: true);
        Begin(t, 0);
        Begin(t, 1);
        Feed(t, Reply(1, "uuid-a"));
        Feed(t, Reply(2, "uuid-a"));                  // the same cmd_id for two requests
        Feed(t, Event("uuid-z", 1));
        Assert.True(Feed(t, EndedOk("uuid-a", 1)).Completed);
        Assert.Equal(1, t.Stats.WrongPairing["reply_cmd_id_reused"]);
        Assert.Equal(1, t.Stats.WrongPairing["notification_unknown_cmd_id"]);
    }

    [Fact]
    public void Measurement_excludes_warmup_commands()
    {
        var t = NewTracker();
        t.Begin(_now, measured: false, 0);
        Feed(t, Reply(1, P + "1"));
        Feed(t, EndedOk(P + "1", 1));
        Assert.Equal(0, t.Stats.Accept.Count);
        Assert.Equal(0, t.Stats.MeasuredCompleted);
        Assert.Equal(1, t.Stats.EndedOk);
    }
}

/// <summary>The upstream (OpenSIPS call-api) dialect mapped onto the same statistics.</summary>
public class UpstreamDialectTests
{
    private const string P = "lg-up-0-";
    private long _now = Stopwatch.GetTimestamp();

    private Outcome Feed(ConnectionTracker t, string json)
    {
        _now += Stopwatch.Frequency / 1000;
        return t.OnFrame(Encoding.UTF8.GetBytes(json), _now);
    }

    [Fact]
    public void Reply_with_event_started_and_ended_by_params_event()
    {
        var t = new ConnectionTracker(P, Dialect.Upstream, serverCmdIds: false);
        t.Begin(_now, true, 0);
        Feed(t, """{"jsonrpc":"2.0","id":1,"result":{"cmd_id":"lg-up-0-1","event":"Started"}}""");
        Feed(t, """{"jsonrpc":"2.0","method":"CallEnd","params":{"cmd_id":"lg-up-0-1","event":"CallEnding"}}""");
        var end = Feed(t, """{"jsonrpc":"2.0","method":"CallEnd","params":{"cmd_id":"lg-up-0-1","event":"Ended"}}""");
        Assert.Equal(new Outcome(true, 1, true, 0), end);
        Assert.Equal(1, t.Stats.Accepted);
        Assert.Equal(1, t.Stats.Events);
        Assert.Equal(0, t.Stats.WrongPairingTotal);
        Assert.Equal(1, t.Stats.Flow.Count);
    }

    [Fact]
    public void Error_event_then_ended_is_a_failed_command()
    {
        var t = new ConnectionTracker(P, Dialect.Upstream, serverCmdIds: false);
        t.Begin(_now, true, 0);
        Feed(t, """{"jsonrpc":"2.0","id":1,"result":{"cmd_id":"lg-up-0-1","status":"Started"}}""");
        Assert.False(Feed(t, """{"jsonrpc":"2.0","method":"CallEnd","params":{"cmd_id":"lg-up-0-1","event":"Error","data":"404 Dialog not found"}}""").Completed);
        var end = Feed(t, """{"jsonrpc":"2.0","method":"CallEnd","params":{"cmd_id":"lg-up-0-1","event":"Ended"}}""");
        Assert.Equal(new Outcome(true, 1, false, 0), end);
        Assert.Equal(1, t.Stats.Errors["upstream_error_404"]);
        Assert.Equal(1, t.Stats.EndedFailed);
    }

    [Fact]
    public void Documented_event_and_ended_methods_also_map()
    {
        var t = new ConnectionTracker(P, Dialect.Upstream, serverCmdIds: true);
        t.Begin(_now, true, 0);
        Feed(t, """{"result":{"cmd_id":"b8179f1e-b4e4","status":"Started"},"id":"1","jsonrpc":"2.0"}""");
        Feed(t, """{"method":"Event","params":{"cmd_id":"b8179f1e-b4e4","data":"CALL_END"},"jsonrpc":"2.0"}""");
        var end = Feed(t, """{"method":"Ended","params":{"cmd_id":"b8179f1e-b4e4"},"jsonrpc":"2.0"}""");
        Assert.True(end.Completed && end.Ok);
        Assert.Equal(0, t.Stats.WrongPairingTotal);
    }

    [Fact]
    public void Positive_error_code_reply_and_unknown_cmd_id()
    {
        var t = new ConnectionTracker(P, Dialect.Upstream, serverCmdIds: false);
        t.Begin(_now, true, 0);
        var o = Feed(t, """{"jsonrpc":"2.0","id":1,"error":{"code":32000,"message":"bad JSON-RPC parameters"}}""");
        Assert.True(o.Completed);
        Feed(t, """{"jsonrpc":"2.0","method":"CallEnd","params":{"cmd_id":"someone-else","event":"Ended"}}""");
        Assert.Equal(1, t.Stats.Errors["rpc_32000"]);
        Assert.Equal(1, t.Stats.WrongPairing["notification_unknown_cmd_id"]);
    }

    [Theory]
    [InlineData("404 Dialog not found", "upstream_error_404")]
    [InlineData("491 Request Pending", "upstream_error_491")]
    [InlineData("-32000", "upstream_error_-32000")]
    [InlineData("failed to establish initial call: 486 Busy", "upstream_error")]
    [InlineData("", "upstream_error")]
    [InlineData(null, "upstream_error")]
    [InlineData("-", "upstream_error")]
    public void Upstream_error_kind(string? data, string kind) => Assert.Equal(kind, ConnectionTracker.UpstreamErrorKind(data));
}

public class RequestWriterTests
{
    [Fact]
    public void Requests_are_valid_json_with_cmd_id_and_string_params()
    {
        var w = new RequestWriter("lg-r-1-", sendCmdId: true, phoneTag: "rc1");
        using (var doc = System.Text.Json.JsonDocument.Parse(w.Write(42, OpKind.End, 0, "abc@host")))
        {
            var root = doc.RootElement;
            Assert.Equal("2.0", root.GetProperty("jsonrpc").GetString());
            Assert.Equal(42, root.GetProperty("id").GetInt64());
            Assert.Equal("CallEnd", root.GetProperty("method").GetString());
            Assert.Equal("abc@host", root.GetProperty("params").GetProperty("callid").GetString());
            Assert.Equal("lg-r-1-42", root.GetProperty("params").GetProperty("cmd_id").GetString());
        }
        using (var doc = System.Text.Json.JsonDocument.Parse(w.Write(43, OpKind.Hold, 1, "abc")))
            Assert.Equal("CallUnHold", doc.RootElement.GetProperty("method").GetString());
        using (var doc = System.Text.Json.JsonDocument.Parse(w.Write(44, OpKind.Transfer, 0, "abc")))
        {
            var p = doc.RootElement.GetProperty("params");
            Assert.Equal("callee", p.GetProperty("leg").GetString());
            Assert.StartsWith("sip:lgrc1t44@", p.GetProperty("destination").GetString());
            foreach (var prop in p.EnumerateObject()) Assert.Equal(System.Text.Json.JsonValueKind.String, prop.Value.ValueKind);
        }
        var noId = new RequestWriter("lg-r-1-", sendCmdId: false, phoneTag: "rc1");
        using (var doc = System.Text.Json.JsonDocument.Parse(noId.Write(1, OpKind.Start, 0, null)))
        {
            Assert.False(doc.RootElement.GetProperty("params").TryGetProperty("cmd_id", out _));
            Assert.Equal("sip:lgrc1a1@127.0.0.1", doc.RootElement.GetProperty("params").GetProperty("caller").GetString());
        }
    }
}
