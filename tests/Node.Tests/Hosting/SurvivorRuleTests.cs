using Akka.Actor;
using Akka.Cluster;
using CallCluster.Hosting;
using CallCluster.Hosting.Downing;
using CallCluster.Node;

namespace CallCluster.Node.Tests.Hosting;

/// <summary>The "call nodes first" downing rule over every topology we ship (1, 2, 3 call nodes with 1 or 2 gateways,
/// and a gateway-heavy one) and every way of cutting it in two: exactly one side survives, and it is the one the
/// survival table in docs/survival.md says.</summary>
public sealed class SurvivorRuleTests
{
    // Members listed oldest first: call nodes c0 (oldest) .. cN, then gateways g0 .. gM (as when call nodes are seeds).
    private static List<(string Name, UniqueAddress Address, bool Calls)> Topology(int callNodes, int gateways)
    {
        var members = new List<(string, UniqueAddress, bool)>();
        for (var i = 0; i < callNodes; i++)
        {
            // Younger members get LOWER ports: the rule must not depend on the lowest address.
            members.Add(($"c{i}", new UniqueAddress(new Address("akka.tcp", "callcluster", "127.0.0.1", 5000 - i), i + 1), true));
        }

        for (var i = 0; i < gateways; i++)
        {
            members.Add(($"g{i}", new UniqueAddress(new Address("akka.tcp", "callcluster", "127.0.0.1", 4000 - i), 100 + i), false));
        }

        return members;
    }

    /// <summary>Whether the side holding <paramref name="side"/> survives, as that side's leader decides.</summary>
    private static bool Survives(List<(string Name, UniqueAddress Address, bool Calls)> members, ISet<string> side) =>
        SurvivorRule.Decide(members.Select((m, i) => new Voter(m.Address, m.Calls, i, side.Contains(m.Name))).ToList())
        == SurvivalDecision.DownUnreachable;

    public static TheoryData<int, int> Topologies => new() { { 1, 1 }, { 1, 2 }, { 2, 1 }, { 2, 2 }, { 3, 1 }, { 3, 2 }, { 2, 0 }, { 1, 5 }, { 3, 6 } };

    [Theory]
    [MemberData(nameof(Topologies))]
    public void Every_two_way_split_has_exactly_one_surviving_side_and_the_side_with_more_call_nodes_wins(int callNodes, int gateways)
    {
        var members = Topology(callNodes, gateways);
        var names = members.Select(m => m.Name).ToList();
        for (var mask = 1; mask < (1 << names.Count) - 1; mask++)
        {
            var a = names.Where((_, i) => (mask & (1 << i)) != 0).ToHashSet();
            var b = names.Except(a).ToHashSet();
            var aWins = Survives(members, a);
            var bWins = Survives(members, b);
            Assert.True(aWins != bWins, $"{callNodes}+{gateways}: [{string.Join(",", a)}] vs [{string.Join(",", b)}]: {(aWins ? "both" : "neither")} survive");
            var callsA = a.Count(n => n.StartsWith('c'));
            var callsB = b.Count(n => n.StartsWith('c'));
            if (callsA != callsB)
            {
                Assert.True(aWins == callsA > callsB,
                    $"{callNodes}+{gateways}: [{string.Join(",", a)}] vs [{string.Join(",", b)}]: gateways outnumbered call nodes");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public void Any_single_crash_keeps_every_survivor_while_a_call_node_remains(int callNodes, int gateways)
    {
        var members = Topology(callNodes, gateways);
        foreach (var dead in members)
        {
            var survivors = members.Where(m => m != dead).Select(m => m.Name).ToHashSet();
            var keep = Survives(members, survivors);
            if (gateways == 0 && callNodes == 2 && dead.Name == "c0")
            {
                // No witness: to c1 the crash of c0 looks exactly like a partition, which c0 (oldest) must win.
                // Every shipped topology has a gateway; this is why.
                Assert.False(keep, "2+0: c1 survived what may be a partition against the oldest");
            }
            else if (survivors.Any(n => n.StartsWith('c')))
            {
                Assert.True(keep, $"{callNodes}+{gateways}: the survivors of {dead.Name}'s crash downed themselves");
            }
            else
            {
                // The only call node died: gateways alone serve nothing and could not rejoin its next incarnation
                // (which forms a new cluster from its own seed list), so they stop and are restarted.
                Assert.False(keep, $"{callNodes}+{gateways}: gateways without any call node stayed up");
            }
        }
    }

    [Fact]
    public void Two_call_nodes_cut_apart_with_a_gateway_each_keep_the_oldest_call_node()
    {
        var members = Topology(2, 2);
        Assert.True(Survives(members, new HashSet<string> { "c0", "g1" }));
        Assert.False(Survives(members, new HashSet<string> { "c1", "g0" }));
    }

    [Fact]
    public void Shipped_configuration_selects_the_call_nodes_first_provider()
    {
        var config = ConfigLoader.Load(NodeHost.DefaultLayers(), []);
        Assert.Equal(typeof(CallNodeDowningProvider).FullName + ", CallCluster.Hosting",
            config.GetString("akka.cluster.downing-provider-class"));
        var settings = DowningSettings.FromConfig(config);
        Assert.Equal("call-node", settings.Role);
        // Detection (3 s heartbeat pause) + stable-after + hand-over must stay within seconds on loopback.
        Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.StableAfter);
    }
}
