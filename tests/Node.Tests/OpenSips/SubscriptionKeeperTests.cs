using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.OpenSips;

public sealed class SubscriptionKeeperTests : TestKit
{
    private const string Socket = "udp:127.0.0.1:9990";
    private static readonly string[] Events = ["E_DLG_STATE_CHANGED", "E_CALL_TRANSFER", "E_CALL_HOLD"];
    private readonly FakeMiServer _server = new();

    private IActorRef Pool(int timeoutMs = 2000) =>
        Sys.ActorOf(MiPool.Props(new MiSettings(_server.EndPoint, 2, 100, TimeSpan.FromMilliseconds(timeoutMs), TimeSpan.FromSeconds(10))
        {
            SweepInterval = TimeSpan.FromMilliseconds(50),
        }));

    private IActorRef Keeper(IActorRef pool, double expireS, double refreshS, double retryS = 0.2) =>
        Sys.ActorOf(SubscriptionKeeper.Props(pool, Socket,
            new SubscriptionSettings(TimeSpan.FromSeconds(expireS), TimeSpan.FromSeconds(refreshS), TimeSpan.FromSeconds(retryS))));

    [Fact]
    public async Task Refreshes_each_event_with_identical_params_well_before_expiry()
    {
        _server.AutoReply = FakeMiServer.Ok;
        var keeper = Keeper(Pool(), expireS: 4, refreshS: 1);
        Stopwatch? watch = null; // from the first subscribe OpenSIPS would see

        var byEvent = Events.ToDictionary(e => e, _ => new List<string>());
        var log = new List<string>();
        // Initial subscribe + 2 refreshes per event, all before the 4 s expiry; bounded by the count and the timeout.
        while (byEvent.Values.Any(l => l.Count < 3))
        {
            var r = await _server.NextAsync(TimeSpan.FromSeconds(4));
            watch ??= Stopwatch.StartNew();
            Assert.Equal("event_subscribe", r.Method);
            byEvent[r.Param("event")!].Add(r.Params.GetRawText());
            log.Add($"{watch.ElapsedMilliseconds}ms {r.Param("event")}");
        }
        Assert.True(watch!.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}: {string.Join(", ", log)}");
        foreach (var (evt, sent) in byEvent)
        {
            Assert.All(sent, p => Assert.Equal(sent[0], p));
            Assert.Equal($$"""{"event":"{{evt}}","socket":"{{Socket}}","expire":4}""", sent[0]);
        }

        var status = await keeper.Ask<SubscriptionStatus>(GetSubscriptionStatus.Instance, TimeSpan.FromSeconds(1));
        Assert.Equal(Socket, status.Socket);
        Assert.All(status.Events, e =>
        {
            Assert.True(e.Subscribed);
            Assert.NotNull(e.LastSuccess);
            Assert.True(e.ExpiresAt > DateTimeOffset.UtcNow);
            Assert.Null(e.LastError);
        });
    }

    [Fact]
    public async Task An_mi_timeout_causes_a_prompt_resubscribe()
    {
        var dropped = 0;
        _server.AutoReply = r =>
            r.Param("event") == "E_CALL_HOLD" && Interlocked.Exchange(ref dropped, 1) == 0 ? null : FakeMiServer.Ok(r);
        var keeper = Keeper(Pool(timeoutMs: 300), expireS: 60, refreshS: 30, retryS: 0.2);

        var holds = new List<(FakeMiRequest Request, TimeSpan At)>();
        var watch = Stopwatch.StartNew();
        while (holds.Count < 2)
        {
            var r = await _server.NextAsync(TimeSpan.FromSeconds(3));
            if (r.Param("event") == "E_CALL_HOLD") holds.Add((r, watch.Elapsed));
        }
        Assert.Equal(holds[0].Request.Params.GetRawText(), holds[1].Request.Params.GetRawText());
        var gap = holds[1].At - holds[0].At;
        Assert.True(gap >= TimeSpan.FromMilliseconds(400) && gap < TimeSpan.FromSeconds(3), $"re-subscribed after {gap}");

        await AwaitAssertAsync(async () =>
        {
            var status = await keeper.Ask<SubscriptionStatus>(GetSubscriptionStatus.Instance, TimeSpan.FromSeconds(1));
            Assert.All(status.Events, e => Assert.True(e.Subscribed, e.Event));
        }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Unsubscribe_sends_expire_0_for_every_event_and_replies()
    {
        _server.AutoReply = FakeMiServer.Ok;
        var keeper = Keeper(Pool(), expireS: 60, refreshS: 30);
        await _server.TakeAsync(3);
        await AwaitAssertAsync(async () =>
        {
            var status = await keeper.Ask<SubscriptionStatus>(GetSubscriptionStatus.Instance, TimeSpan.FromSeconds(1));
            Assert.All(status.Events, e => Assert.True(e.Subscribed));
        }, TimeSpan.FromSeconds(3));

        keeper.Tell(Unsubscribe.Instance, TestActor);
        var sent = await _server.TakeAsync(3);
        Assert.Equal(Events.OrderBy(e => e), sent.Select(r => r.Param("event")!).OrderBy(e => e));
        Assert.All(sent, r =>
        {
            Assert.Equal("0", r.Param("expire"));
            Assert.Equal(Socket, r.Param("socket"));
        });
        var done = await ExpectMsgAsync<Unsubscribed>();
        Assert.True(done.Confirmed);
        var after = await keeper.Ask<SubscriptionStatus>(GetSubscriptionStatus.Instance, TimeSpan.FromSeconds(1));
        Assert.All(after.Events, e => Assert.False(e.Subscribed));
        Assert.True(await _server.NothingWithin(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Unsubscribe_replies_even_when_mi_does_not_answer()
    {
        _server.AutoReply = r => r.Param("expire") == "0" ? null : FakeMiServer.Ok(r);
        var keeper = Keeper(Pool(timeoutMs: 300), expireS: 60, refreshS: 30);
        await _server.TakeAsync(3);
        keeper.Tell(Unsubscribe.Instance, TestActor);
        var done = await ExpectMsgAsync<Unsubscribed>(TimeSpan.FromSeconds(3));
        Assert.Equal(3, done.Failed.Count);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _server.Dispose();
        base.Dispose(disposing);
    }
}
