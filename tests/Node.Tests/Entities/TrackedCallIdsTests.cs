using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.TestKit;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Sharding;
using CallCluster.Gateway.Calls;
using CallCluster.Node.Dialogs;

namespace CallCluster.Node.Tests.Entities;

/// <summary>CallList's pages of Call-IDs: each call node answers one page after the cursor, small enough for a remote
/// message whatever the Call-IDs' lengths (TrackedCallIdsActor), and the gateway merges the nodes' pages
/// (CallLister.Merge). Walking page by page yields every tracked Call-ID once, in ordinal order.</summary>
public sealed class TrackedCallIdsTests : Akka.TestKit.Xunit2.TestKit
{
    public TrackedCallIdsTests() : base(EntityTestConfig.Config)
    {
    }

    [Fact]
    public void A_page_holds_the_ids_after_the_cursor_in_ordinal_order_up_to_the_limit()
    {
        string[] tracked = ["b@x", "a@x", "B@x", "c@x", "d@x"];

        var first = TrackedCallIdsActor.Page(tracked, new ListTrackedCallIds(null, 2));
        var second = TrackedCallIdsActor.Page(tracked, new ListTrackedCallIds(first.CallIds[^1], 2));
        var last = TrackedCallIdsActor.Page(tracked, new ListTrackedCallIds(second.CallIds[^1], 2));

        Assert.Equal(["B@x", "a@x"], first.CallIds);
        Assert.True(first.More);
        Assert.Equal(["b@x", "c@x"], second.CallIds);
        Assert.True(second.More);
        Assert.Equal(["d@x"], last.CallIds);
        Assert.False(last.More);
    }

    [Fact]
    public void A_page_of_long_call_ids_is_cut_to_fit_a_remote_message_but_never_empty()
    {
        var tracked = Enumerable.Range(0, 1000).Select(i => $"{i:D4}-" + new string('x', 500)).ToList();
        var huge = new string('y', 2 * TrackedCallIdsActor.MaxReplyBytes);

        var page = TrackedCallIdsActor.Page(tracked, new ListTrackedCallIds(null, 1000));
        var alone = TrackedCallIdsActor.Page([huge, "z"], new ListTrackedCallIds(null, 10));

        Assert.True(page.More);
        Assert.InRange(page.CallIds.Sum(id => Encoding.UTF8.GetByteCount(id)), 1, TrackedCallIdsActor.MaxReplyBytes);
        Assert.Equal(tracked.Take(page.CallIds.Count), page.CallIds);
        Assert.Equal([huge], alone.CallIds);
        Assert.True(alone.More);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 1000)]
    [InlineData(5, 3)]
    public void Walking_the_merged_pages_of_several_nodes_yields_every_call_id_once_in_order(int nodes, int limit)
    {
        for (var seed = 0; seed < 6; seed++)
        {
            var random = new Random(seed);
            // The first node's Call-IDs are long, so its pages are cut by size well before the others' (the merge must
            // stop where the cut node's knowledge ends); a few ids are on two nodes at once (a dialog moving).
            var perNode = Enumerable.Range(0, nodes).Select(_ => new List<string>()).ToList();
            for (var i = 0; i < 1500; i++)
            {
                var node = random.Next(nodes);
                var id = $"{random.Next(100_000):D5}-{new string('c', random.Next(0, node == 0 ? 400 : 20))}@host{i % 7}";
                perNode[node].Add(id);
                if (random.Next(50) == 0) perNode[random.Next(nodes)].Add(id);
            }

            var expected = perNode.SelectMany(ids => ids).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var walked = new List<string>();
            string? after = null;
            for (var step = 0; step < expected.Count + 2; step++)
            {
                var request = new ListTrackedCallIds(after, limit);
                var (ids, more) = CallLister.Merge(perNode.Select(ids => TrackedCallIdsActor.Page(ids, request)).ToList(), limit);
                Assert.InRange(ids.Count, more ? 1 : 0, limit);
                walked.AddRange(ids);
                if (!more) break;
                after = ids[^1];
            }

            Assert.Equal(expected, walked);
        }
    }

    [Fact]
    public void The_actor_answers_a_page_of_what_the_local_dialog_region_tracks()
    {
        var region = CreateTestProbe();
        region.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is GetShardRegionState)
            {
                sender.Tell(new CurrentShardRegionState(ImmutableHashSet.Create(
                    new ShardState("1", ImmutableHashSet.Create("c@x", "a@x")),
                    new ShardState("2", ImmutableHashSet.Create("b@x"))), ImmutableHashSet<string>.Empty));
            }

            return AutoPilot.KeepRunning;
        }));
        var actor = Sys.ActorOf(TrackedCallIdsActor.Props(region.Ref, TimeSpan.FromSeconds(5)));

        actor.Tell(new ListTrackedCallIds("a@x", 10));

        var page = ExpectMsg<TrackedCallIdPage>();
        Assert.Equal(["b@x", "c@x"], page.CallIds);
        Assert.False(page.More);
    }

    /// <summary>A call node that does not answer (its lister not started, or gone) makes CallList refuse the page within
    /// the ask timeout: a page without that node's calls would look complete.</summary>
    [Fact(Timeout = 60_000)]
    public async Task The_gateway_refuses_a_page_when_a_call_node_does_not_answer()
    {
        var system = ActorSystem.Create("lister", ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.cluster.roles = ["{{ShardRegions.CallNodeRole}}"]
            """));
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var up = new TaskCompletionSource();
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            cluster.Join(cluster.SelfAddress);
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var lister = new CallLister(system, ActorRefs.Nobody, TimeSpan.FromMilliseconds(500));

            var refused = await Assert.ThrowsAsync<CallListUnavailable>(() => lister.ListAsync(100, null)).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Contains("did not list its calls in time", refused.Message);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void A_region_with_shards_that_did_not_answer_is_reported_as_a_failure_not_as_a_shorter_list()
    {
        var region = CreateTestProbe();
        region.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is GetShardRegionState)
            {
                sender.Tell(new CurrentShardRegionState(ImmutableHashSet.Create(new ShardState("1", ImmutableHashSet.Create("a@x"))),
                    ImmutableHashSet.Create("2")));
            }

            return AutoPilot.KeepRunning;
        }));
        var actor = Sys.ActorOf(TrackedCallIdsActor.Props(region.Ref, TimeSpan.FromSeconds(5)));

        actor.Tell(new ListTrackedCallIds(null, 10));

        Assert.Contains("shard 2", ExpectMsg<Status.Failure>().Cause.Message);
    }
}
