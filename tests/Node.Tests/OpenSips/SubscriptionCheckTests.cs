using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.OpenSips;

/// <summary>A restarted OpenSIPS forgets the EVI subscriptions without a word: the keeper's periodic subscribers_list
/// notices and subscribes again at once, without waiting for the refresh period.</summary>
public sealed class SubscriptionCheckTests : TestKit
{
    private const string Socket = "udp:127.0.0.1:9990";
    private static readonly string[] Events = ["E_DLG_STATE_CHANGED", "E_CALL_TRANSFER", "E_CALL_HOLD"];
    private readonly FakeMiServer _server = new();
    private volatile bool _forgotten;

    private static string Listing(bool withUs) =>
        "{\"Events\":[" + string.Join(",", Events.Select((e, i) =>
            $"{{\"name\":\"{e}\",\"id\":{i},\"Subscribers\":[{(withUs ? $"{{\"socket\":\"{Socket}\",\"expire\":300,\"ttl\":299}}" : "")}]}}")) + "]}";

    [Fact]
    public async Task Subscriptions_the_proxy_forgot_are_renewed_within_the_check_interval()
    {
        _server.AutoReply = r => r.Method switch
        {
            "event_subscribe" => FakeMiServer.Ok(r),
            "subscribers_list" => $"{{\"jsonrpc\":\"2.0\",\"result\":{Listing(!_forgotten)},\"id\":{r.Id}}}",
            _ => null,
        };
        var pool = Sys.ActorOf(MiPool.Props(new MiSettings(_server.EndPoint, 1, 100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10))
        {
            SweepInterval = TimeSpan.FromMilliseconds(50),
        }));
        Sys.ActorOf(SubscriptionKeeper.Props(pool, Socket,
            new SubscriptionSettings(TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(1))
            {
                CheckEvery = TimeSpan.FromMilliseconds(300),
            }));

        await ExpectSubscribes(TimeSpan.FromSeconds(3)); // the initial subscriptions
        // Listed: the checks run and nothing is subscribed again (within several check periods).
        var quiet = Stopwatch.StartNew();
        var checks = 0;
        while (quiet.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            var r = await _server.NextAsync(TimeSpan.FromSeconds(2));
            Assert.Equal("subscribers_list", r.Method);
            checks++;
        }

        Assert.True(checks >= 2, $"{checks} checks");

        _forgotten = true; // the proxy restarted
        var watch = Stopwatch.StartNew();
        await ExpectSubscribes(TimeSpan.FromSeconds(3));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"renewed after {watch.Elapsed}");
    }

    [Fact]
    public void Listing_is_read_per_event_and_socket()
    {
        var json = System.Text.Json.JsonDocument.Parse(
            """{"Events":[{"name":"E_DLG_STATE_CHANGED","id":8,"Subscribers":[{"socket":"udp:127.0.0.1:9990","expire":3600,"ttl":3599}]},{"name":"E_CALL_HOLD","id":10,"Subscribers":[{"socket":"udp:10.0.0.1:9990"}]}]}""").RootElement;
        Assert.Equal(["E_DLG_STATE_CHANGED"], SubscriptionKeeper.ListedEvents(json, Socket));
        Assert.Empty(SubscriptionKeeper.ListedEvents(System.Text.Json.JsonDocument.Parse("\"OK\"").RootElement, Socket));
    }

    private async Task ExpectSubscribes(TimeSpan within)
    {
        var pending = new HashSet<string>(Events);
        var deadline = Stopwatch.StartNew();
        while (pending.Count > 0)
        {
            var left = within - deadline.Elapsed;
            Assert.True(left > TimeSpan.Zero, "not subscribed again: " + string.Join(", ", pending));
            var r = await _server.NextAsync(left);
            if (r.Method == "event_subscribe")
            {
                pending.Remove(r.Param("event")!);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _server.Dispose();
        base.Dispose(disposing);
    }
}
