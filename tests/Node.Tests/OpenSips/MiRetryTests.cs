using Akka.Actor;
using Akka.TestKit.Xunit2;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.OpenSips;

/// <summary>MI faults at the pool: idempotent calls are sent again with a new id after a timeout, others never; a
/// reply that comes after its request timed out (JSON with an id, or an id-less plain-text error) never completes
/// another request.</summary>
public sealed class MiRetryTests : TestKit
{
    private readonly FakeMiServer _server = new();

    private static KeyValuePair<string, object> P(string name, object value) => new(name, value);

    private IActorRef Pool(int timeoutMs, int retries) =>
        Sys.ActorOf(MiPool.Props(new MiSettings(_server.EndPoint, 1, 1000,
            TimeSpan.FromMilliseconds(timeoutMs), TimeSpan.FromSeconds(10))
        {
            SweepInterval = TimeSpan.FromMilliseconds(20),
            Retries = retries,
        }));

    [Fact]
    public async Task Idempotent_call_is_retried_with_a_new_id_and_a_late_reply_answers_only_its_own_call()
    {
        var pool = Pool(timeoutMs: 300, retries: 2);
        pool.Tell(new MiCall("dlg_list", [P("callid", "c1")], "check"), TestActor);
        var first = await _server.NextAsync();
        var second = await _server.NextAsync(TimeSpan.FromSeconds(2));
        Assert.Equal("dlg_list", second.Method);
        Assert.Equal("c1", second.Param("callid"));
        Assert.NotEqual(first.Id, second.Id);
        pool.Tell(new MiCall("dlg_list", [P("callid", "other")], "other", TimeSpan.FromSeconds(5)), TestActor);
        var other = await _server.NextAsync();

        // The first attempt's answer arrives late: the same request's answer, so it answers this call, and only it.
        _server.Send($$"""{"jsonrpc":"2.0","result":"first","id":{{first.Id}}}""", first.From);
        var ok = await ExpectMsgAsync<MiSuccess>();
        Assert.Equal(("check", "first", 2), ((string)ok.Tag!, ok.Value.GetString(), ok.Attempts));
        // The second attempt's answer now finds nothing pending: discarded, counted late.
        _server.Reply(second, "\"second\"");
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        _server.Reply(other, "\"other\"");
        var o = await ExpectMsgAsync<MiSuccess>();
        Assert.Equal(("other", "other", 1), ((string)o.Tag!, o.Value.GetString(), o.Attempts));
        await AwaitAssertAsync(async () =>
        {
            var stats = await pool.Ask<MiStats>(GetMiStats.Instance, TimeSpan.FromSeconds(1));
            Assert.Equal((1L, 1L, 0L), (stats.Late, stats.TimedOut, stats.InFlight));
        }, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Retries_end_in_one_timeout_after_the_last_attempt()
    {
        var pool = Pool(timeoutMs: 200, retries: 2);
        pool.Tell(new MiCall("dlg_end_dlg", [P("dialog_id", "d1")], "end"), TestActor);
        var attempts = await _server.TakeAsync(3, TimeSpan.FromSeconds(2));
        Assert.Equal(3, attempts.Select(a => a.Id).Distinct().Count());
        var timeout = await ExpectMsgAsync<MiTimeout>(TimeSpan.FromSeconds(2));
        Assert.Equal(("end", 3), ((string)timeout.Tag!, timeout.Attempts));
        Assert.True(await _server.NothingWithin(TimeSpan.FromMilliseconds(400)));
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData("t_uac_dlg")]
    [InlineData("call_transfer")]
    [InlineData("call_hold")]
    [InlineData("call_unhold")]
    public async Task Requests_that_must_not_be_repeated_are_sent_once(string method)
    {
        var pool = Pool(timeoutMs: 200, retries: 2);
        IReadOnlyList<KeyValuePair<string, object>> parameters = method == "t_uac_dlg"
            ? [P("method", "BYE"), P("ruri", "sip:a@b"), P("headers", "From: <sip:a@b>\r\n")]
            : [P("callid", "x")];
        pool.Tell(new MiCall(method, parameters, "once", TimeSpan.FromMilliseconds(200)), TestActor);
        await _server.NextAsync();
        var timeout = await ExpectMsgAsync<MiTimeout>(TimeSpan.FromSeconds(2));
        Assert.Equal(1, timeout.Attempts);
        Assert.True(await _server.NothingWithin(TimeSpan.FromMilliseconds(400)));
    }

    [Fact]
    public async Task A_late_plain_text_error_is_not_blamed_on_a_newer_request()
    {
        var pool = Pool(timeoutMs: 200, retries: 0);
        pool.Tell(new MiCall("call_hold", [P("callid", "old")], "old"), TestActor);
        var old = await _server.NextAsync();
        Assert.Equal("old", (string)(await ExpectMsgAsync<MiTimeout>(TimeSpan.FromSeconds(2))).Tag!);

        pool.Tell(new MiCall("call_hold", [P("callid", "new")], "new", TimeSpan.FromSeconds(5)), TestActor);
        var fresh = await _server.NextAsync();
        // In order, the synchronous path's answer to "old" comes first: an id-less error.
        _server.Send("500 Internal error", old.From);
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        _server.Reply(fresh, "\"OK\"");
        var ok = await ExpectMsgAsync<MiSuccess>();
        Assert.Equal("new", ok.Tag);

        // With nothing timed out before it, a plain-text error is still the oldest request's, as before.
        pool.Tell(new MiCall("call_hold", [P("callid", "third")], "third", TimeSpan.FromSeconds(5)), TestActor);
        await _server.NextAsync();
        _server.Send("400 Parse_error", old.From);
        var parse = await ExpectMsgAsync<MiFailure>();
        Assert.Equal(("third", 400), ((string)parse.Tag!, parse.Code));
    }

    [Fact]
    public async Task Late_replies_to_many_timed_out_requests_complete_none_of_the_new_ones()
    {
        var pool = Pool(timeoutMs: 200, retries: 0);
        for (var i = 0; i < 20; i++) pool.Tell(new MiCall("call_transfer", [P("callid", "old" + i)], "old" + i), TestActor);
        var olds = await _server.TakeAsync(20);
        for (var i = 0; i < 20; i++) await ExpectMsgAsync<MiTimeout>(TimeSpan.FromSeconds(2));

        for (var i = 0; i < 20; i++) pool.Tell(new MiCall("call_transfer", [P("callid", "new" + i)], "new" + i, TimeSpan.FromSeconds(5)), TestActor);
        var news = await _server.TakeAsync(20);
        foreach (var o in olds) _server.Reply(o, $"\"{o.Param("callid")}\"");
        foreach (var n in news) _server.Reply(n, $"\"{n.Param("callid")}\"");
        for (var i = 0; i < 20; i++)
        {
            var ok = await ExpectMsgAsync<MiSuccess>();
            Assert.Equal((string)ok.Tag!, ok.Value.GetString()); // each answer is its own request's
            Assert.StartsWith("new", ok.Value.GetString());
        }

        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _server.Dispose();
        base.Dispose(disposing);
    }
}
