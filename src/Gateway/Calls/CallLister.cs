using Akka.Actor;
using Akka.Cluster;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Gateway.Calls;

/// <summary>Gathers CallList pages from every call node. Dialog entities live in memory in each node's dialog shard
/// region, one entity per Call-ID the node tracks. Each Up call node's <c>/user/tracked-call-ids</c>
/// (<see cref="TrackedCallIds"/>) answers a page of its Call-IDs after the cursor, in ordinal order; the pages are
/// merged, and the Call-IDs of this page are asked for their <see cref="DialogView"/> through the dialog region, all
/// at once. Only pages cross the network: the whole set of a node's Call-IDs (100,000 of them, say) would not fit
/// Akka's remoting frame. Everything is asynchronous: the connection actor pipes the result to itself, no actor
/// thread waits. Each page reads the nodes afresh, so a walk sees calls that started meanwhile when they sort after
/// the cursor.</summary>
public sealed class CallLister(ActorSystem system, IActorRef dialogRegion, TimeSpan askTimeout)
{
    /// <param name="afterCallId">The previous page's cursor, decoded; null for the first page.</param>
    public async Task<CallPage> ListAsync(int limit, string? afterCallId)
    {
        var calls = new List<DialogView>(limit);
        var after = afterCallId;
        // Ended (linger a while) and unknown (made-up ids, about to passivate) dialogs are skipped, so a chunk may
        // yield fewer calls than it asked: ask again for what is missing, until the page is full or the ids run out.
        while (calls.Count < limit)
        {
            var (chunk, more) = await TrackedCallIdsAsync(after, limit - calls.Count).ConfigureAwait(false);
            if (chunk.Count > 0)
            {
                var views = await Task.WhenAll(chunk.Select(id => dialogRegion.Ask<DialogView>(new GetDialog(id), askTimeout))).ConfigureAwait(false);
                calls.AddRange(views.Where(IsListed));
                after = chunk[^1];
            }

            if (!more)
            {
                return new CallPage(calls, null);
            }
        }

        return new CallPage(calls, CallCursor.Encode(after!));
    }

    private static bool IsListed(DialogView v) => v.State is > 0 and < 5;

    /// <summary>The first <paramref name="want"/> Call-IDs after <paramref name="after"/> over every Up call node, and
    /// whether any node tracks more beyond them. A node whose page was cut (<see cref="TrackedCallIdPage.More"/>) says
    /// nothing of its ids past its last one, so the merge is complete only up to the smallest such last id.</summary>
    private async Task<(List<string> CallIds, bool More)> TrackedCallIdsAsync(string? after, int want)
    {
        var nodes = Cluster.Get(system).State.Members
            .Where(m => m.Status == MemberStatus.Up && m.HasRole(ShardRegions.CallNodeRole))
            .Select(m => m.Address)
            .ToList();
        if (nodes.Count == 0)
        {
            throw new CallListUnavailable("no call node is up");
        }

        var pages = await Task.WhenAll(nodes.Select(async address =>
        {
            var node = system.ActorSelection(new RootActorPath(address) / "user" / TrackedCallIds.ActorName);
            try
            {
                return await node.Ask<TrackedCallIdPage>(new ListTrackedCallIds(after, want), askTimeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // A partial list would look complete: refuse instead, the client can retry.
                throw new CallListUnavailable($"call node {address} did not list its calls in time");
            }
            catch (Exception e) when (e is not CallListUnavailable)
            {
                throw new CallListUnavailable($"call node {address} could not list its calls: {e.Message}");
            }
        })).ConfigureAwait(false);

        return Merge(pages, want);
    }

    /// <summary>The first <paramref name="want"/> Call-IDs of the nodes' <paramref name="pages"/>, in ordinal order and
    /// each once (a dialog moving between nodes may be on both for a moment), and whether more follow anywhere.</summary>
    public static (List<string> CallIds, bool More) Merge(IReadOnlyList<TrackedCallIdPage> pages, int want)
    {
        var completeUpTo = pages.Where(p => p.More && p.CallIds.Count > 0).Select(p => p.CallIds[^1])
            .Order(StringComparer.Ordinal).FirstOrDefault();
        var merged = pages.SelectMany(p => p.CallIds)
            .Where(id => completeUpTo is null || string.CompareOrdinal(id, completeUpTo) <= 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var more = merged.Count > want || pages.Any(p => p.More);
        return (merged.Take(want).ToList(), more);
    }
}

/// <summary>The list cannot be complete now (no call node, or one did not answer).</summary>
public sealed class CallListUnavailable(string message) : Exception(message);
