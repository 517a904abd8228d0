using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.Dialogs;

/// <summary>Answers <see cref="ListTrackedCallIds"/> for CallList with one page of the Call-IDs this node's dialog region
/// tracks. It asks the local region for its state (in process, so the whole set never crosses the network) and sends back
/// only the page, cut at <see cref="MaxReplyBytes"/> so that the reply fits Akka's remoting frame whatever the
/// Call-IDs' lengths. Stateless: each request reads the region afresh, so a walk sees calls that started meanwhile.</summary>
public sealed class TrackedCallIdsActor : ReceiveActor
{
    /// <summary>Half of Akka's default maximum frame (128,000 bytes), leaving room for the envelope.</summary>
    public const int MaxReplyBytes = 64_000;

    /// <summary>Per Call-ID on the wire besides its UTF-8 bytes (MessagePack's string header, generously).</summary>
    private const int PerIdOverhead = 5;

    public TrackedCallIdsActor(IActorRef dialogRegion, TimeSpan regionTimeout)
    {
        // Piped, not awaited: the actor takes the next request while the region answers this one. A failure reaches
        // the asker as Status.Failure.
        Receive<ListTrackedCallIds>(request => PageAsync(dialogRegion, regionTimeout, request).PipeTo(Sender));
    }

    /// <summary>A shard that did not answer the region would make the page silently short: a walk would skip its calls
    /// and look complete. Fail instead; the gateway refuses the page and the client can retry.</summary>
    private static async Task<TrackedCallIdPage> PageAsync(IActorRef dialogRegion, TimeSpan regionTimeout, ListTrackedCallIds request)
    {
        var state = await dialogRegion.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, regionTimeout).ConfigureAwait(false);
        if (state.Failed.Count > 0)
        {
            throw new InvalidOperationException(
                $"dialog shard {string.Join(", ", state.Failed.Order(StringComparer.Ordinal))} did not answer in time");
        }

        return Page(state.Shards.SelectMany(s => s.EntityIds), request);
    }

    public static Props Props(IActorRef dialogRegion, TimeSpan regionTimeout) =>
        Akka.Actor.Props.Create(() => new TrackedCallIdsActor(dialogRegion, regionTimeout));

    /// <summary>The page <paramref name="request"/> asks for out of <paramref name="tracked"/>; public for its tests.
    /// Always at least one id when there is one after the cursor, so a walk cannot stall on a long Call-ID.</summary>
    public static TrackedCallIdPage Page(IEnumerable<string> tracked, ListTrackedCallIds request)
    {
        var after = tracked.Where(id => request.After is null || string.CompareOrdinal(id, request.After) > 0)
            .Distinct(StringComparer.Ordinal).ToList();
        after.Sort(StringComparer.Ordinal);
        var page = new List<string>(Math.Min(after.Count, Math.Max(1, request.Limit)));
        var bytes = 0;
        foreach (var id in after)
        {
            var size = Encoding.UTF8.GetByteCount(id) + PerIdOverhead;
            if (page.Count == Math.Max(1, request.Limit) || (page.Count > 0 && bytes + size > MaxReplyBytes))
            {
                break;
            }

            page.Add(id);
            bytes += size;
        }

        return new TrackedCallIdPage(page, page.Count < after.Count);
    }
}
