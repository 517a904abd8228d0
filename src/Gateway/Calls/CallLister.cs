using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Gateway.Calls;

/// <summary>Gathers CallList pages from every call node. Dialog entities live in memory in each node's dialog shard
/// region, one entity per Call-ID the node tracks, so the region's own <see cref="GetShardRegionState"/> (asked of each
/// Up call node's region, as sharding's serializer carries it) names every tracked Call-ID. The page's Call-IDs, in
/// ordinal order after the cursor, are then asked for their <see cref="DialogView"/> through the dialog region, all at
/// once. Everything is asynchronous: the connection actor pipes the result to itself, no actor thread waits.
/// Each page lists the Call-IDs afresh (a few bytes per call, far less than asking every dialog), so a walk sees
/// calls that started meanwhile when they sort after the cursor.</summary>
public sealed class CallLister(ActorSystem system, IActorRef dialogRegion, TimeSpan askTimeout)
{
    /// <param name="afterCallId">The previous page's cursor, decoded; null for the first page.</param>
    public async Task<CallPage> ListAsync(int limit, string? afterCallId)
    {
        var callIds = await TrackedCallIdsAsync().ConfigureAwait(false);
        var start = afterCallId is null ? 0 : UpperBound(callIds, afterCallId);
        var calls = new List<DialogView>(limit);
        var next = start;
        // Ended (linger a while) and unknown (made-up ids, about to passivate) dialogs are skipped, so a chunk may
        // yield fewer calls than it asked: ask again for what is missing, until the page is full or the ids run out.
        while (calls.Count < limit && next < callIds.Count)
        {
            var chunk = callIds.Skip(next).Take(limit - calls.Count).ToList();
            next += chunk.Count;
            var views = await Task.WhenAll(chunk.Select(id => dialogRegion.Ask<DialogView>(new GetDialog(id), askTimeout))).ConfigureAwait(false);
            calls.AddRange(views.Where(IsListed));
        }

        var cursor = next < callIds.Count && next > 0 ? CallCursor.Encode(callIds[next - 1]) : null;
        return new CallPage(calls, cursor);
    }

    private static bool IsListed(DialogView v) => v.State is > 0 and < 5;

    /// <summary>Every Call-ID a dialog entity exists for on an Up call node, sorted ordinally.</summary>
    private async Task<List<string>> TrackedCallIdsAsync()
    {
        var nodes = Cluster.Get(system).State.Members
            .Where(m => m.Status == MemberStatus.Up && m.HasRole(ShardRegions.CallNodeRole))
            .Select(m => m.Address)
            .ToList();
        if (nodes.Count == 0)
        {
            throw new CallListUnavailable("no call node is up");
        }

        var states = await Task.WhenAll(nodes.Select(async address =>
        {
            var region = system.ActorSelection(new RootActorPath(address) / "system" / "sharding" / ShardRegions.Dialog);
            try
            {
                return await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, askTimeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // A partial list would look complete: refuse instead, the client can retry.
                throw new CallListUnavailable($"call node {address} did not list its calls in time");
            }
        })).ConfigureAwait(false);

        var ids = states.SelectMany(s => s.Shards).SelectMany(s => s.EntityIds).Distinct(StringComparer.Ordinal).ToList();
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>The index of the first id after <paramref name="callId"/>.</summary>
    private static int UpperBound(List<string> sorted, string callId)
    {
        var i = sorted.BinarySearch(callId, StringComparer.Ordinal);
        return i >= 0 ? i + 1 : ~i;
    }
}

/// <summary>The list cannot be complete now (no call node, or one did not answer).</summary>
public sealed class CallListUnavailable(string message) : Exception(message);
