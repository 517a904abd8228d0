using Akka.Cluster;

namespace CallCluster.Hosting.Downing;

/// <summary>One member as the downing decision sees it.</summary>
/// <param name="Address">The member's unique address.</param>
/// <param name="HoldsCalls">Has the call-node role (hosts command and dialog shards).</param>
/// <param name="Age">Smaller is older (Akka's up-number ordering); ties broken by address.</param>
/// <param name="Reachable">On this side of the partition (as the deciding leader sees it).</param>
public sealed record Voter(UniqueAddress Address, bool HoldsCalls, int Age, bool Reachable);

/// <summary>What the leader of one side does with a partition.</summary>
public enum SurvivalDecision
{
    /// <summary>This side survives: down the other side.</summary>
    DownUnreachable,

    /// <summary>The other side survives: down this side (including the leader itself).</summary>
    DownReachable,
}

/// <summary>
/// "Call nodes first": which side of a partition (or of a crash, which looks the same) survives. Compared in this
/// order, the first difference deciding:
/// <list type="number">
/// <item>more call nodes: the state (shards, singletons) lives there, so the side that holds most of it keeps it;</item>
/// <item>more gateways, only as a tie-breaker between equal numbers of call nodes: a gateway is a witness that tells
/// a crashed call node from a partition (with 2 call nodes, the one still seen by a gateway survives), but gateways
/// never outnumber call nodes (1 call node against 5 gateways: the call node wins);</item>
/// <item>the oldest call node (or, with no call node at all, the oldest member): the side that already hosts the
/// shard coordinator and the EVI subscription singleton keeps them.</item>
/// </list>
/// Both sides evaluate the same rule over the same last-agreed membership with mirrored reachability, so exactly one
/// side wins a two-way split. (A three-way split may leave no winner: each part downs itself, as with keep-majority.)
/// </summary>
public static class SurvivorRule
{
    public static SurvivalDecision Decide(IReadOnlyCollection<Voter> members)
    {
        if (members.Count == 0 || members.All(m => m.Reachable))
        {
            return SurvivalDecision.DownUnreachable;
        }

        var callsHere = members.Count(m => m.HoldsCalls && m.Reachable);
        var callsThere = members.Count(m => m.HoldsCalls && !m.Reachable);
        if (callsHere != callsThere)
        {
            return callsHere > callsThere ? SurvivalDecision.DownUnreachable : SurvivalDecision.DownReachable;
        }

        var gatewaysHere = members.Count(m => !m.HoldsCalls && m.Reachable);
        var gatewaysThere = members.Count(m => !m.HoldsCalls && !m.Reachable);
        if (gatewaysHere != gatewaysThere)
        {
            return gatewaysHere > gatewaysThere ? SurvivalDecision.DownUnreachable : SurvivalDecision.DownReachable;
        }

        var candidates = callsHere + callsThere > 0 ? members.Where(m => m.HoldsCalls) : members;
        var oldest = candidates.OrderBy(m => m.Age).ThenBy(m => m.Address, Comparer<UniqueAddress>.Create(CompareAddress)).First();
        return oldest.Reachable ? SurvivalDecision.DownUnreachable : SurvivalDecision.DownReachable;
    }

    private static int CompareAddress(UniqueAddress a, UniqueAddress b) =>
        Member.AddressOrdering.Compare(a.Address, b.Address) is var c and not 0 ? c : a.Uid.CompareTo(b.Uid);
}
