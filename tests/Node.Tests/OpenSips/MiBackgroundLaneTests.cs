using System.Text.Json;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.OpenSips;

/// <summary>The MI lane for requests nobody waits on (a new dialog's party lookup): no more than its limit at the pool
/// at a time, the rest sent in arrival order as answers free room, each answer back to its asker with the asker's tag,
/// and a request beyond the waiting limit refused at once.</summary>
public sealed class MiBackgroundLaneTests : TestKit
{
    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement;

    [Fact]
    public void At_most_the_limit_is_at_the_pool_and_the_rest_follow_in_order_as_answers_come_back()
    {
        var pool = CreateTestProbe();
        var lane = Sys.ActorOf(MiBackgroundLane.Props(pool.Ref, maxInFlight: 2, maxWaiting: 10));
        var askers = Enumerable.Range(0, 5).Select(_ => CreateTestProbe()).ToArray();
        for (var i = 0; i < askers.Length; i++)
        {
            askers[i].Send(lane, Lookup(i));
        }

        var first = pool.ExpectMsg<MiCall>();
        var second = pool.ExpectMsg<MiCall>();
        pool.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["call-0", "call-1"], new[] { first, second }.Select(CallId));

        // The second answers first: its asker gets it with its own tag, and the third request goes out.
        pool.Send(lane, new MiSuccess(second.Tag, "dlg_list", Empty));
        Assert.Equal("tag-1", askers[1].ExpectMsg<MiSuccess>().Tag);
        var third = pool.ExpectMsg<MiCall>();
        Assert.Equal("call-2", CallId(third));
        pool.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // Any outcome frees room: a timeout, then a failure.
        pool.Send(lane, new MiTimeout(first.Tag, "dlg_list", TimeSpan.FromSeconds(2)));
        Assert.Equal("tag-0", askers[0].ExpectMsg<MiTimeout>().Tag);
        var fourth = pool.ExpectMsg<MiCall>();
        pool.Send(lane, new MiFailure(third.Tag, "dlg_list", 404, "No such dialog", null));
        Assert.Equal("tag-2", askers[2].ExpectMsg<MiFailure>().Tag);
        var fifth = pool.ExpectMsg<MiCall>();
        Assert.Equal(["call-3", "call-4"], new[] { fourth, fifth }.Select(CallId));
        askers[0].ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Beyond_the_waiting_limit_a_request_is_refused_at_once_with_its_tag()
    {
        var pool = CreateTestProbe();
        var lane = Sys.ActorOf(MiBackgroundLane.Props(pool.Ref, maxInFlight: 1, maxWaiting: 1));
        lane.Tell(Lookup(0));
        lane.Tell(Lookup(1));
        lane.Tell(Lookup(2));

        var refused = ExpectMsg<MiOverloaded>();
        Assert.Equal(("tag-2", "dlg_list"), (refused.Tag, refused.Method));
        var sent = pool.ExpectMsg<MiCall>();
        Assert.Equal("call-0", CallId(sent));
        pool.Send(lane, new MiSuccess(sent.Tag, "dlg_list", Empty));
        Assert.Equal("tag-0", ExpectMsg<MiSuccess>().Tag);
        Assert.Equal("call-1", CallId(pool.ExpectMsg<MiCall>()));
    }

    private static MiCall Lookup(int i) => new("dlg_list", [new("callid", "call-" + i)], Tag: "tag-" + i);

    private static string CallId(MiCall call) => (string)call.Params.Single(p => p.Key == "callid").Value;
}
