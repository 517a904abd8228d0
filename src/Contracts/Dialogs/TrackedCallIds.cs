namespace CallCluster.Contracts.Dialogs;

/// <summary>CallList asks each call node for the Call-IDs of the dialogs it tracks, one page at a time, from the
/// actor at <c>/user/<see cref="ActorName"/></c>. One page, never the whole set: a node may track 100,000 dialogs,
/// and a remote message is limited to Akka's frame size (128 KB), which the set of a few thousand Call-IDs already
/// exceeds.</summary>
public static class TrackedCallIds
{
    public const string ActorName = "tracked-call-ids";
}

/// <summary>The Call-IDs this node tracks that sort (ordinally) after <paramref name="After"/> (null: from the first),
/// at most <paramref name="Limit"/> of them. Answered with <see cref="TrackedCallIdPage"/>.</summary>
public sealed record ListTrackedCallIds(string? After, int Limit) : ICallClusterMessage;

/// <summary>Call-IDs in ordinal order. <paramref name="More"/>: the node tracks more after the last one (the limit, or
/// the reply's size cap, cut the page), so a merge of several nodes' pages is complete only up to that last one.</summary>
public sealed record TrackedCallIdPage(IReadOnlyList<string> CallIds, bool More) : ICallClusterMessage;
