using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;

namespace CallCluster.Node.Tests.Hosting;

/// <summary>The fast path of the "call nodes first" downing (src/Hosting/Downing/DeadMemberProbe.cs): when a member's
/// process is gone its remoting port refuses connections, and the survivors down it at once instead of waiting for the
/// failure detector. Two real ActorSystems form a cluster on 127.0.0.1 with a 60 s heartbeat pause, so that only the
/// probe can explain a member downed within seconds; one of them then stops without leaving (as a killed process).</summary>
public sealed class DeadMemberDowningTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly List<ActorSystem> _systems = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var system in _systems)
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_gateway_whose_process_is_gone_is_downed_by_the_call_node_long_before_the_heartbeat_pause()
    {
        var callNode = Start("call-node", seed: null);
        var gateway = Start("gateway", seed: Cluster.Get(callNode).SelfAddress);
        await WaitForUpAsync(callNode, 2);
        var gone = Cluster.Get(gateway).SelfUniqueAddress;

        await gateway.Terminate(); // no leave: the transport just closes, as when the process is killed

        var removedOrDown = await PollAsync(() => Cluster.Get(callNode).State.Members
            .All(m => !m.UniqueAddress.Equals(gone) || m.Status == MemberStatus.Down));
        Assert.True(removedOrDown, "the gone gateway was neither downed nor removed within " + Bound.TotalSeconds + " s");
    }

    [Fact]
    public async Task A_gateway_left_alone_does_not_down_the_last_call_node_even_when_it_is_gone()
    {
        var gateway = Start("gateway", seed: null);
        var callNode = Start("call-node", seed: Cluster.Get(gateway).SelfAddress);
        await WaitForUpAsync(gateway, 2);
        var gone = Cluster.Get(callNode).SelfUniqueAddress;
        var declined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = gateway.ActorOf(Props.Create(() => new LogWatcher("would not survive it alone", declined)));
        gateway.EventStream.Subscribe(listener, typeof(Info));

        await callNode.Terminate();

        // The probe confirmed the death, and the rule says the gateway's side (no call node) does not survive it: the
        // call node stays a member for the usual path (where the gateway downs itself), never downed by the fast path.
        await declined.Task.WaitAsync(Bound);
        Assert.Contains(Cluster.Get(gateway).State.Members,
            m => m.UniqueAddress.Equals(gone) && m.Status == MemberStatus.Up);
    }

    private ActorSystem Start(string role, Address? seed)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = INFO
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.cluster {
              roles = ["{{role}}"]
              downing-provider-class = "CallCluster.Hosting.Downing.CallNodeDowningProvider, CallCluster.Hosting"
              failure-detector.acceptable-heartbeat-pause = 60s
              run-coordinated-shutdown-when-down = off
            }
            akka.coordinated-shutdown.run-by-actor-system-terminate = off
            callcluster.downing { role = "call-node", stable-after = 1s, down-removal-margin = 0s, dead-member-probe-timeout = 1s }
            """);
        var system = ActorSystem.Create("dead-member", config);
        _systems.Add(system);
        var cluster = Cluster.Get(system);
        cluster.Join(seed ?? cluster.SelfAddress);
        return system;
    }

    private static async Task WaitForUpAsync(ActorSystem system, int members)
    {
        var up = await PollAsync(() => Cluster.Get(system).State.Members.Count(m => m.Status == MemberStatus.Up) == members);
        Assert.True(up, $"{members} members were not Up within {Bound.TotalSeconds} s");
    }

    private static async Task<bool> PollAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return condition();
    }

    private sealed class LogWatcher : ReceiveActor
    {
        public LogWatcher(string fragment, TaskCompletionSource seen) =>
            Receive<Info>(i =>
            {
                if (i.Message?.ToString()?.Contains(fragment, StringComparison.Ordinal) == true)
                {
                    seen.TrySetResult();
                }
            });
    }
}
