using Akka.Actor;
using Akka.Cluster;
using CallCluster.Ops.Tests.Support;

namespace CallCluster.Ops.Tests;

/// <summary><c>callctl cluster leave</c> (the pods' preStop hook) makes the node leave: its membership goes
/// Leaving → Exiting → Removed, and CoordinatedShutdown then stops the ActorSystem.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterLeaveTests() : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING")
{
    [Fact]
    public async Task Cluster_leave_makes_the_node_leave_and_shut_down()
    {
        var (system, admin) = await TestCluster.StartAsync();
        try
        {
            var cluster = Cluster.Get(system);
            var removed = new TaskCompletionSource<Address>(TaskCreationOptions.RunContinuationsAsynchronously);
            var probe = CreateTestProbe();
            // A watcher inside the leaving system: it reports the self member's transitions to this test's probe.
            system.ActorOf(Props.Create(() => new MembershipRelay(probe.Ref)));
            probe.ExpectMsg<ClusterEvent.MemberUp>(TimeSpan.FromSeconds(10));
            cluster.RegisterOnMemberRemoved(() => removed.TrySetResult(cluster.SelfAddress));

            var result = await TestCluster.CtlAsync(admin.Endpoint, "cluster", "leave");
            Assert.True(result.Exit == 0, result.ToString());
            Assert.Equal([$"{cluster.SelfAddress} is leaving the cluster", "address", cluster.SelfAddress.ToString(), "Count: 1"],
                result.Lines);

            probe.FishForMessage(m => m is ClusterEvent.MemberLeft, TimeSpan.FromSeconds(15));
            probe.FishForMessage(m => m is ClusterEvent.MemberExited or ClusterEvent.MemberRemoved, TimeSpan.FromSeconds(15));
            Assert.Equal(cluster.SelfAddress, await removed.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await admin.DisposeAsync();
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Cluster_down_of_a_member_marks_it_Down_and_it_shuts_down()
    {
        var (system, admin) = await TestCluster.StartAsync();
        try
        {
            var self = Cluster.Get(system).SelfAddress;
            var result = await TestCluster.CtlAsync(admin.Endpoint, "cluster", "down", self.ToString());
            Assert.True(result.Exit == 0, result.ToString());
            Assert.Equal([$"{self} marked Down", "address", self.ToString(), "Count: 1"], result.Lines);
            // run-coordinated-shutdown-when-down (base.conf): a downed member stops its ActorSystem.
            await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await admin.DisposeAsync();
            await system.Terminate();
        }
    }

    private sealed class MembershipRelay : ReceiveActor
    {
        public MembershipRelay(IActorRef target)
        {
            ReceiveAny(m => target.Tell(m));
        }

        protected override void PreStart() =>
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent));
    }
}
