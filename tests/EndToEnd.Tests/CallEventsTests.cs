using System.Diagnostics;
using Akka.Actor;
using System.Text.Json;
using CallCluster.EndToEnd.Tests.Support;
using Xunit.Abstractions;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests;

/// <summary>One embedded node with three webhook endpoints, each a real Kestrel receiver on loopback: <c>ok</c>
/// answers 200, <c>flaky</c> answers 500 to the first three attempts of every delivery, <c>dead</c> never answers.</summary>
public sealed class CallEventsFixture : IAsyncLifetime
{
    public const string OkSecret = "ok-secret";
    public const string FlakySecret = "flaky-secret";
    public const string DeadSecret = "dead-secret";

    public EmbeddedNode Node { get; private set; } = null!;
    public WebhookReceiver Ok { get; private set; } = null!;
    public WebhookReceiver Flaky { get; private set; } = null!;
    public WebhookReceiver Dead { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Ok = await WebhookReceiver.StartAsync(OkSecret);
        Flaky = await WebhookReceiver.StartAsync(FlakySecret);
        Flaky.Behaviour = (_, before) => before < 3 ? 500 : 200;
        Dead = await WebhookReceiver.StartAsync(DeadSecret);
        Dead.Behaviour = (_, _) => null;
        Node = await EmbeddedNode.StartAsync($$"""
            callcluster.webhooks {
              endpoints {
                ok { url = "{{Ok.Url}}", secret = "{{OkSecret}}" }
                flaky { url = "{{Flaky.Url}}", secret = "{{FlakySecret}}" }
                dead { url = "{{Dead.Url}}", secret = "{{DeadSecret}}" }
              }
              min-backoff = 50ms
              max-backoff = 200ms
              request-timeout = 60s
              concurrency = 16
            }
            """);
        await WebhooksRunningAsync(Node, 3);
    }

    /// <summary>A new endpoint delivers what comes after it started (not the history): calls of a test must come after
    /// every endpoint has its outbox position. Asked of the registry singleton, as callctl webhooks list does.</summary>
    public static async Task WebhooksRunningAsync(EmbeddedNode node, int endpoints)
    {
        var proxy = await node.Host.System.ActorSelection("/user/webhooks-proxy").ResolveOne(TimeSpan.FromSeconds(5));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var list = await proxy.Ask<CallCluster.Contracts.Events.WebhookList>(new CallCluster.Contracts.Events.ListWebhooks(),
                TimeSpan.FromSeconds(5));
            if (list.Endpoints.Count == endpoints && list.Endpoints.All(e => e.Offset >= 0))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"webhook endpoints not running after 30 s: {list.Endpoints.Count} listed");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Ok.DisposeAsync();
        await Flaky.DisposeAsync();
        await Dead.DisposeAsync();
    }
}

public sealed class CallEventsTests(CallEventsFixture fixture, ITestOutputHelper output) : IClassFixture<CallEventsFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private SimPhones Phones() => new(fixture.Node.Simulator!.MiEndPoint);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static IReadOnlyList<WebhookReceiver.Received> Of(IReadOnlyList<WebhookReceiver.Received> all, string callId) =>
        all.Where(r => r.CallId == callId).ToList();

    private static bool HasEnded(IReadOnlyList<WebhookReceiver.Received> all, string callId) =>
        all.Any(r => r.CallId == callId && r.Event == "call.ended");

    [Fact(Timeout = 60_000)]
    public async Task A_call_placed_by_a_phone_reaches_the_webhook_signed_as_ringing_answered_ended_in_order()
    {
        using var phones = Phones();
        var from = $"sip:{Unique("alice")}@127.0.0.1";
        var to = $"sip:{Unique("bob")}@127.0.0.1";
        var callId = await phones.CallAsync(from, to);
        // A call lasts a moment: its parties are asked of the proxy while the dialog exists (docs/call-events.md).
        await fixture.Ok.WaitForAsync(r => r.Any(x => x.CallId == callId && x.Event == "call.answered"), Wait, $"call.answered of {callId}");
        await phones.HangUpAsync(callId);

        var all = await fixture.Ok.WaitForAsync(r => HasEnded(r, callId), Wait, $"call.ended of {callId}");
        var mine = Of(all, callId);
        Assert.All(mine, r => Assert.True(r.SignatureOk, $"bad signature on {r.Body.GetRawText()}"));
        Assert.Equal(["call.ringing", "call.answered", "call.ended"], mine.Select(r => r.Event).Distinct().ToArray());
        Assert.Equal([1L, 2L, 3L], mine.Select(r => r.Body.GetProperty("seq").GetInt64()).Distinct().ToArray());
        Assert.All(mine, r =>
        {
            Assert.Equal(from, r.Body.GetProperty("from").GetString());
            Assert.Equal(to, r.Body.GetProperty("to").GetString());
            Assert.Equal(JsonValueKind.Null, r.Body.GetProperty("cmd_id").ValueKind); // no command started it
        });
        Assert.Equal("bye", mine.Single(r => r.Event == "call.ended").Body.GetProperty("reason").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_receiver_answering_500_three_times_then_200_gets_every_event_under_one_delivery_id_each()
    {
        using var phones = Phones();
        var callId = await phones.AnsweredCallAsync($"sip:{Unique("carol")}@127.0.0.1", $"sip:{Unique("dave")}@127.0.0.1");
        await phones.HangUpAsync(callId);

        // Done when the ended event's fourth attempt (the first 200) came.
        var all = await fixture.Flaky.WaitForAsync(r => r.Count(x => x.CallId == callId && x.Event == "call.ended") >= 4, Wait,
            $"the 4th attempt of call.ended of {callId}");
        var mine = Of(all, callId);
        foreach (var group in mine.GroupBy(r => r.Event))
        {
            var ids = group.Select(r => r.DeliveryId).Distinct().ToList();
            Assert.Single(ids);
            Assert.True(group.Count() >= 4, $"{group.Key}: {group.Count()} attempts, expected 3 refused + 1 accepted");
            Assert.Equal([1, 2, 3, 4], group.Take(4).Select(r => r.Body.GetProperty("attempt").GetInt32()).ToArray());
            Assert.All(group, r => Assert.True(r.SignatureOk));
        }

        Assert.Equal(["call.ringing", "call.answered", "call.ended"], mine.Select(r => r.Event).Distinct().ToArray());
        // Ordering per call: no attempt of a later event before the accepted attempt of the one before it.
        var firstOfAnswered = mine.TakeWhile(r => r.Event != "call.answered").Count();
        Assert.Equal(4, mine.Take(firstOfAnswered).Count(r => r.Event == "call.ringing"));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_receiver_that_never_answers_delays_neither_CallEnd_nor_the_other_endpoints()
    {
        using var phones = Phones();
        const int calls = 20;
        var ids = new List<string>();
        for (var i = 0; i < calls; i++)
        {
            ids.Add(await phones.AnsweredCallAsync($"sip:{Unique("erin")}@127.0.0.1", $"sip:{Unique("frank")}@127.0.0.1"));
        }

        // The dead receiver holds its endpoint's POSTs unanswered (every slot taken) while these calls are ended.
        await fixture.Dead.WaitForAsync(r => r.Count > 0, Wait, "a POST to the dead receiver");
        await using var client = await RpcTestClient.ConnectAsync(fixture.Node.Endpoint);
        var latencies = new List<double>();
        for (var i = 0; i < calls; i++)
        {
            var clock = Stopwatch.StartNew();
            await client.SendAsync(new { jsonrpc = "2.0", id = i, method = "CallEnd", @params = new { callid = ids[i] } });
            await client.ReceiveUntilAsync(m => m.Count > 0 && IsNotification(m[^1], "Ended"), Wait);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        var p50 = latencies[latencies.Count / 2];
        var max = latencies[^1];
        output.WriteLine($"CallEnd latency with a dead webhook receiver: p50 {p50:F1} ms, max {max:F1} ms over {calls} calls; " +
                         $"dead receiver holds {fixture.Dead.All.Count} unanswered POSTs");
        Assert.True(p50 < 500, $"CallEnd p50 {p50:F1} ms");
        var ok = await fixture.Ok.WaitForAsync(r => ids.All(id => HasEnded(r, id)), Wait, "call.ended of every call at the ok receiver");
        Assert.All(ids, id => Assert.Contains(ok, r => r.CallId == id && r.Event == "call.ended"));
        Assert.DoesNotContain(fixture.Dead.All, r => r.Event == "call.ended" && ids.Contains(r.CallId)); // still stuck on the first
    }

    [Fact(Timeout = 60_000)]
    public async Task EventsSubscribe_filters_and_a_reconnecting_subscriber_resumes_after_its_cursor()
    {
        var tag = Unique("sub");
        var from = $"sip:{tag}-a@127.0.0.1";
        string cursorOfAnswered;
        string callId;
        using var phones = Phones();
        await using (var client = await RpcTestClient.ConnectAsync(fixture.Node.Endpoint))
        {
            await client.SendAsync(new { jsonrpc = "2.0", id = 1, method = "EventsSubscribe", @params = new { party = $"sip:{tag}-*", events = new[] { "call.answered", "call.ended" } } });
            var reply = await client.ReceiveAsync(Wait);
            Assert.StartsWith("sub-", Str(reply, "result", "subscription"));

            // Another call that does not match the pattern, then ours.
            var other = await phones.AnsweredCallAsync($"sip:{Unique("zed")}@127.0.0.1", $"sip:{Unique("yan")}@127.0.0.1");
            callId = await phones.CallAsync(from, $"sip:{Unique("bob")}@127.0.0.1");
            var got = await client.ReceiveUntilAsync(m => m.Any(x => Str(x, "params", "event") == "call.answered"), Wait);
            await phones.HangUpAsync(other);
            await phones.HangUpAsync(callId);
            got.AddRange(await client.ReceiveUntilAsync(m => m.Any(x => Str(x, "params", "event") == "call.ended"), Wait));
            Assert.All(got, m => Assert.Equal(callId, Str(m, "params", "callid")));
            Assert.Equal(["call.answered", "call.ended"], got.Select(m => Str(m, "params", "event")!).ToArray());
            cursorOfAnswered = Str(got[0], "params", "cursor")!;
        }

        // Reconnect and resume after the answered event: the ended event comes again, nothing before it.
        await using var again = await RpcTestClient.ConnectAsync(fixture.Node.Endpoint);
        await again.SendAsync(new { jsonrpc = "2.0", id = 2, method = "EventsSubscribe", @params = new { callid = callId, after = cursorOfAnswered } });
        Assert.Equal(cursorOfAnswered, Str(await again.ReceiveAsync(Wait), "result", "cursor"));
        var resumed = await again.ReceiveAsync(Wait);
        Assert.Equal("call.ended", Str(resumed, "params", "event"));
        Assert.True(long.Parse(Str(resumed, "params", "cursor")!) > long.Parse(cursorOfAnswered));

        await again.SendAsync(new { jsonrpc = "2.0", id = 3, method = "EventsUnsubscribe", @params = new { subscription = "sub-1" } });
        Assert.Equal("unsubscribed", Str(await again.ReceiveAsync(Wait), "result", "status"));
    }

    [Fact(Timeout = 60_000)]
    public async Task Events_a_command_caused_carry_its_cmd_id()
    {
        using var phones = Phones();
        var callId = await phones.AnsweredCallAsync($"sip:{Unique("gina")}@127.0.0.1", $"sip:{Unique("hank")}@127.0.0.1");
        await using var client = await RpcTestClient.ConnectAsync(fixture.Node.Endpoint);
        await client.SendAsync(new { jsonrpc = "2.0", id = 1, method = "EventsSubscribe", @params = new { callid = callId, events = new[] { "call.held", "call.resumed", "call.ended" } } });
        Assert.StartsWith("sub-", Str(await client.ReceiveAsync(Wait), "result", "subscription"));

        var events = new List<System.Text.Json.JsonElement>();
        foreach (var (method, cmdId, leg) in new[] { ("CallHold", "hold-" + callId, "callee"), ("CallUnHold", "unhold-" + callId, "callee"), ("CallEnd", "end-" + callId, null) })
        {
            await client.SendAsync(leg is null
                ? new { jsonrpc = "2.0", id = 2, method, @params = (object)new { callid = callId, cmd_id = cmdId } }
                : new { jsonrpc = "2.0", id = 2, method, @params = (object)new { callid = callId, leg, cmd_id = cmdId } });
            var got = await client.ReceiveUntilAsync(m => m.Any(x => IsNotification(x, "Ended") && Str(x, "params", "cmd_id") == cmdId)
                && m.Any(x => IsNotification(x, "CallEvent")), Wait);
            Assert.Equal("ok", Str(got.First(x => IsNotification(x, "Ended")), "params", "status"));
            events.AddRange(got.Where(x => IsNotification(x, "CallEvent")));
        }

        Assert.Equal(["call.held", "call.resumed", "call.ended"], events.Select(e => Str(e, "params", "event")!).ToArray());
        Assert.Equal(["hold-" + callId, "unhold-" + callId, "end-" + callId], events.Select(e => Str(e, "params", "cmd_id")!).ToArray());
        Assert.Contains(Str(events[0], "params", "leg"), new[] { "caller", "callee" });
        Assert.Equal("bye", Str(events[2], "params", "reason"));
    }

    [Theory(Timeout = 30_000)]
    [InlineData("""{"events":["call.rung"]}""")]
    [InlineData("""{"events":[]}""")]
    [InlineData("""{"after":"12a"}""")]
    [InlineData("""{"party":"has space"}""")]
    [InlineData("""{"callid":5}""")]
    [InlineData("""{"bogus":1}""")]
    public async Task EventsSubscribe_with_bad_params_is_refused_32602(string parameters)
    {
        await using var client = await RpcTestClient.ConnectAsync(fixture.Node.Endpoint);
        await client.SendAsync($$"""{"jsonrpc":"2.0","id":7,"method":"EventsSubscribe","params":{{parameters}}}""");
        Assert.Equal("-32602", Str(await client.ReceiveAsync(Wait), "error", "code"));
        await client.SendAsync("""{"jsonrpc":"2.0","id":8,"method":"EventsUnsubscribe","params":{"subscription":"sub-99"}}""");
        Assert.Equal("-32602", Str(await client.ReceiveAsync(Wait), "error", "code"));
    }

    /// <summary>Delivery latency (event time → arrival at the receiver) and throughput: calls one at a time (the
    /// pipeline's own latency), then a burst of phone calls 20 at a time (throughput, latency under load).</summary>
    [Fact(Timeout = 240_000)]
    public async Task Delivery_latency_and_throughput_figures()
    {
        var quiet = await MeasureAsync(calls: 30, concurrency: 1);
        var burst = await MeasureAsync(calls: 200, concurrency: 20);
        output.WriteLine($"one call at a time: {quiet}");
        output.WriteLine($"20 calls at a time: {burst}");
    }

    private async Task<string> MeasureAsync(int calls, int concurrency)
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, calls), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, _) =>
        {
            using var phones = Phones();
            var id = await phones.AnsweredCallAsync($"sip:{Unique("bench")}@127.0.0.1", $"sip:{Unique("bench")}@127.0.0.1");
            ids.Add(id);
            await phones.HangUpAsync(id);
        });
        var set = ids.ToHashSet();
        var all = await fixture.Ok.WaitForAsync(r => set.All(id => HasEnded(r, id)), TimeSpan.FromSeconds(120), "every call.ended");
        var elapsed = clock.Elapsed;
        var mine = all.Where(r => set.Contains(r.CallId)).ToList();
        Assert.Equal(calls * 3, mine.Select(r => r.DeliveryId).Distinct().Count());
        Assert.All(mine, r => Assert.Equal("bye", r.Event == "call.ended" ? r.Body.GetProperty("reason").GetString() : "bye"));
        var latencies = mine.Select(r => (r.At - r.EventTime).TotalMilliseconds).Order().ToList();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        return $"{mine.Count} deliveries for {calls} calls in {elapsed.TotalSeconds:F1} s ({mine.Count / elapsed.TotalSeconds:F0}/s); " +
               $"latency event→receiver p50 {P(0.5):F0} ms, p99 {P(0.99):F0} ms, max {latencies[^1]:F0} ms";
    }
}
