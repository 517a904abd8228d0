using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.OpenSips;

public sealed class MiPoolTests : TestKit
{
    private readonly FakeMiServer _server = new();

    private static KeyValuePair<string, object> P(string name, object value) => new(name, value);

    private IActorRef Pool(int sockets = 1, int maxInFlight = 1000, int timeoutMs = 5000, int inviteMs = 10000, int firstId = 1) =>
        Sys.ActorOf(MiPool.Props(new MiSettings(_server.EndPoint, sockets, maxInFlight,
            TimeSpan.FromMilliseconds(timeoutMs), TimeSpan.FromMilliseconds(inviteMs))
        {
            SweepInterval = TimeSpan.FromMilliseconds(50),
            FirstRequestId = firstId,
        }));

    [Fact]
    public async Task Request_is_exact_jsonrpc_with_named_params_in_order_and_ids_from_1()
    {
        var pool = Pool();
        pool.Tell(new MiCall("event_subscribe",
            [P("event", "E_CALL_HOLD"), P("socket", "udp:127.0.0.1:9990"), P("expire", 300)], "t1"), TestActor);
        var first = await _server.NextAsync();
        Assert.Equal("""{"jsonrpc":"2.0","method":"event_subscribe","params":{"event":"E_CALL_HOLD","socket":"udp:127.0.0.1:9990","expire":300},"id":1}""", first.Raw);

        pool.Tell(new MiCall("dlg_list", []), TestActor);
        var second = await _server.NextAsync();
        Assert.Equal("""{"jsonrpc":"2.0","method":"dlg_list","id":2}""", second.Raw);

        pool.Tell(new MiCall("t_uac_dlg",
            [P("method", "BYE"), P("ruri", "sip:a@b"), P("headers", "From: <sip:a@b>\r\nCSeq: 3 BYE\r\n"), P("big", 5_000_000_000L)]), TestActor);
        var third = await _server.NextAsync();
        Assert.Equal("""{"jsonrpc":"2.0","method":"t_uac_dlg","params":{"method":"BYE","ruri":"sip:a@b","headers":"From: <sip:a@b>\r\nCSeq: 3 BYE\r\n","big":5000000000},"id":3}""", third.Raw);

        _server.Send("""{"jsonrpc":"2.0","result":"OK","id":1}""", first.From);
        var ok = await ExpectMsgAsync<MiSuccess>();
        Assert.Equal("t1", ok.Tag);
        Assert.Equal("event_subscribe", ok.Method);
        Assert.Equal("OK", ok.Value.GetString());
    }

    [Fact]
    public async Task Call_without_method_or_with_bad_params_is_rejected_locally_and_never_sent()
    {
        var pool = Pool();
        pool.Tell(new MiCall("", [], "empty"), TestActor);
        Assert.Equal(MiFailure.LocalReject, (await ExpectMsgAsync<MiFailure>(f => (string?)f.Tag == "empty")).Code);
        pool.Tell(new MiCall(null!, [], "null"), TestActor);
        await ExpectMsgAsync<MiFailure>(f => (string?)f.Tag == "null");
        pool.Tell(new MiCall("dlg_list", [P("counter", 1.5)], "double"), TestActor);
        await ExpectMsgAsync<MiFailure>(f => (string?)f.Tag == "double");
        pool.Tell(new MiCall("dlg_list", [P("big", new string('x', 70_000))], "huge"), TestActor);
        await ExpectMsgAsync<MiFailure>(f => (string?)f.Tag == "huge");

        pool.Tell(new MiCall("version", [], "good"), TestActor);
        var sent = await _server.NextAsync();
        Assert.Equal("version", sent.Method); // the first datagram on the wire is the valid call
        Assert.True(await _server.NothingWithin(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Many_in_flight_with_reordered_and_duplicated_replies_are_matched_by_id()
    {
        const int count = 200;
        var pool = Pool(sockets: 4);
        for (var i = 0; i < count; i++) pool.Tell(new MiCall("dlg_list", [P("callid", "c" + i)], i), TestActor);
        var requests = await _server.TakeAsync(count);
        Assert.True(requests.Select(r => r.From).Distinct().Count() > 1, "requests spread over several sockets");

        var shuffled = requests.OrderBy(_ => Random.Shared.Next()).ToList();
        var duplicates = 0;
        foreach (var r in shuffled)
        {
            _server.Reply(r, $"\"{r.Param("callid")}\"");
            if (r.Id % 3 == 0)
            {
                _server.Reply(r, "\"duplicate\""); // first final reply wins
                duplicates++;
            }
        }

        var seen = new HashSet<int>();
        for (var i = 0; i < count; i++)
        {
            var ok = await ExpectMsgAsync<MiSuccess>(TimeSpan.FromSeconds(3));
            var tag = (int)ok.Tag!;
            Assert.True(seen.Add(tag), $"tag {tag} answered twice");
            Assert.Equal("c" + tag, ok.Value.GetString());
        }
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        await AwaitAssertAsync(async () =>
        {
            var stats = await pool.Ask<MiStats>(GetMiStats.Instance, TimeSpan.FromSeconds(1));
            Assert.Equal(count, stats.Replied);
            Assert.Equal(duplicates, stats.Late);
            Assert.Equal(0, stats.InFlight);
        }, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Timeout_is_reported_and_a_late_reply_is_ignored_without_disturbing_others()
    {
        var pool = Pool(timeoutMs: 300);
        var watch = Stopwatch.StartNew();
        pool.Tell(new MiCall("dlg_list", [], "lost"), TestActor);
        var lost = await _server.NextAsync();
        var timeout = await ExpectMsgAsync<MiTimeout>(TimeSpan.FromSeconds(2));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"timed out early: {watch.Elapsed}");
        Assert.Equal("lost", timeout.Tag);
        Assert.Equal(TimeSpan.FromMilliseconds(300), timeout.After);

        pool.Tell(new MiCall("version", [], "next"), TestActor);
        var next = await _server.NextAsync();
        _server.Send($$"""{"jsonrpc":"2.0","result":"late","id":{{lost.Id}}}""", lost.From);
        _server.Reply(next, "\"fresh\"");
        var ok = await ExpectMsgAsync<MiSuccess>();
        Assert.Equal("next", ok.Tag);
        Assert.Equal("fresh", ok.Value.GetString());
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        await AwaitAssertAsync(async () =>
        {
            var stats = await pool.Ask<MiStats>(GetMiStats.Instance, TimeSpan.FromSeconds(1));
            Assert.Equal(1, stats.Late);
            Assert.Equal(1, stats.TimedOut);
        }, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Per_call_timeout_overrides_the_default()
    {
        var pool = Pool(timeoutMs: 5000);
        pool.Tell(new MiCall("dlg_list", [], "short", TimeSpan.FromMilliseconds(150)), TestActor);
        var timeout = await ExpectMsgAsync<MiTimeout>(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(150), timeout.After);
    }

    [Fact]
    public async Task Json_errors_become_failures_with_code_message_and_data()
    {
        var pool = Pool();
        pool.Tell(new MiCall("call_hold", [P("callid", "x"), P("leg", "caller")], "a"), TestActor);
        pool.Tell(new MiCall("call_hold", [P("callid", "no-such-call-id")], "b"), TestActor);
        var (a, b) = (await _server.NextAsync(), await _server.NextAsync());
        _server.Send($$"""{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Too few or too many parameters"},"id":{{a.Id}}}""", a.From);
        _server.Send($$"""{"jsonrpc":"2.0","error":{"code":404,"message":"Dialog not found"},"id":{{b.Id}}}""", b.From);
        var fa = await ExpectMsgAsync<MiFailure>();
        var fb = await ExpectMsgAsync<MiFailure>();
        Assert.Equal(("a", -32602, "Invalid params", "Too few or too many parameters"), ((string)fa.Tag!, fa.Code, fa.Message, fa.Data));
        Assert.Equal(("b", 404, "Dialog not found", (string?)null), ((string)fb.Tag!, fb.Code, fb.Message, fb.Data));
    }

    [Fact]
    public async Task Plain_text_replies_fail_the_oldest_sync_request_and_provisional_uac_replies_are_skipped()
    {
        var pool = Pool(timeoutMs: 300, inviteMs: 5000);
        pool.Tell(new MiCall("t_uac_dlg", [P("method", "INVITE"), P("ruri", "sip:a@b"), P("headers", "From: <sip:a@b>\r\nTo: <sip:b@b>\r\n")], "invite"), TestActor);
        pool.Tell(new MiCall("dlg_list", [], "old"), TestActor);
        pool.Tell(new MiCall("call_hold", [P("callid", "x")], "new"), TestActor);
        var invite = (await _server.TakeAsync(3))[0];

        _server.Send("400 Parse_error", invite.From);
        var parse = await ExpectMsgAsync<MiFailure>();
        Assert.Equal(("old", 400, "Parse_error"), ((string)parse.Tag!, parse.Code, parse.Message));
        _server.Send("500 Internal error\n", invite.From);
        var internalError = await ExpectMsgAsync<MiFailure>();
        Assert.Equal(("new", 500, "Internal error"), ((string)internalError.Tag!, internalError.Code, internalError.Message));

        _server.Reply(invite, """{"Status":"100 Trying"}""");
        _server.Reply(invite, """{"Status":"180 Ringing"}""");
        // Past the 300 ms request timeout: the INVITE uses the invite timeout and ignores the 1xx replies.
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
        _server.Reply(invite, """{"Status":"200 Answering","RURI":"sip:a@127.0.0.1:5071"}""");
        var final = await ExpectMsgAsync<MiSuccess>();
        Assert.Equal("invite", final.Tag);
        Assert.Equal("200 Answering", final.Value.GetProperty("Status").GetString());
    }

    [Fact]
    public async Task Malformed_replies_are_counted_and_do_not_disturb_pending_requests()
    {
        var pool = Pool();
        pool.Tell(new MiCall("version", [], "v"), TestActor);
        var request = await _server.NextAsync();
        _server.Send("garbage", request.From);
        _server.Send("{\"jsonrpc\":\"2.0\",\"result\":\"OK\"}", request.From); // no id
        _server.Send("{\"jsonrpc\":\"2.0\",\"result\":", request.From); // truncated
        _server.Reply(request, "{\"Server\":\"OpenSIPS (4.0.1 (x86_64/linux))\"}");
        var ok = await ExpectMsgAsync<MiSuccess>();
        Assert.Equal("OpenSIPS (4.0.1 (x86_64/linux))", ok.Value.GetProperty("Server").GetString());
        await AwaitAssertAsync(async () =>
            Assert.Equal(3, (await pool.Ask<MiStats>(GetMiStats.Instance, TimeSpan.FromSeconds(1))).Malformed), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Over_the_in_flight_cap_calls_are_refused_immediately()
    {
        var pool = Pool(sockets: 2, maxInFlight: 3);
        for (var i = 0; i < 3; i++) pool.Tell(new MiCall("dlg_list", [], i), TestActor);
        pool.Tell(new MiCall("dlg_list", [], "over"), TestActor);
        Assert.Equal("over", (await ExpectMsgAsync<MiOverloaded>()).Tag);
        var requests = await _server.TakeAsync(3);
        Assert.True(await _server.NothingWithin(TimeSpan.FromMilliseconds(100)));

        _server.Reply(requests[0], "\"OK\"");
        await ExpectMsgAsync<MiSuccess>();
        pool.Tell(new MiCall("dlg_list", [], "again"), TestActor);
        Assert.Equal("dlg_list", (await _server.NextAsync()).Method);
        Assert.Equal(1, (await pool.Ask<MiStats>(GetMiStats.Instance, TimeSpan.FromSeconds(1))).Overloaded);
    }

    [Fact]
    public async Task Ids_wrap_from_int_max_to_1()
    {
        var pool = Pool(firstId: int.MaxValue - 1);
        for (var i = 0; i < 3; i++) pool.Tell(new MiCall("dlg_list", [], i), TestActor);
        var requests = await _server.TakeAsync(3);
        Assert.Equal(new[] { int.MaxValue - 1, int.MaxValue, 1 }, requests.Select(r => r.Id).ToArray());
        _server.Reply(requests[2], "\"wrapped\"");
        Assert.Equal(2, (await ExpectMsgAsync<MiSuccess>()).Tag);
    }

    [Fact]
    public void Id_allocation_skips_ids_still_pending_after_wrapping()
    {
        var pending = new Dictionary<int, object> { [1] = "a", [2] = "b", [int.MaxValue] = "c" };
        var next = int.MaxValue;
        Assert.Equal(3, MiIds.Next(ref next, pending));
        Assert.Equal(4, next);
    }

    [Fact]
    public void Settings_are_read_from_hocon()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            callcluster.mi { address = "127.0.0.1:8080", sockets = 3, max-in-flight = 100, request-timeout = 2s, invite-timeout = 130s }
            """);
        var settings = MiSettings.FromConfig(config);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), settings.Target);
        Assert.Equal((3, 100, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(130)),
            (settings.Sockets, settings.MaxInFlight, settings.RequestTimeout, settings.InviteTimeout));
        Assert.Equal(8080, MiSettings.ParseEndPoint("localhost:8080").Port);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _server.Dispose();
        base.Dispose(disposing);
    }
}
