using CallCluster.Contracts.Events;

namespace CallCluster.Gateway.Events;

/// <summary>Asks the node's event feed for the call events after tag offset <paramref name="After"/>, at most
/// <paramref name="Max"/>, oldest first. Local to a process (never serialized).</summary>
public sealed record ReadEvents(long After, int Max);

/// <summary>A call event with its position in the event log (the journal's global ordering of tagged events): the
/// cursor a subscriber resumes after.</summary>
public sealed record StoredCallEvent(long Offset, CallEventRecorded Event);

/// <summary>The answer to <see cref="ReadEvents"/>; <paramref name="Failure"/> set when the journal could not be read.</summary>
public sealed record EventPage(IReadOnlyList<StoredCallEvent> Events, string? Failure = null);

/// <summary>Asks the offset of the newest call event (0 when there is none): where "from now on" starts.</summary>
public sealed record GetEventHead
{
    public static readonly GetEventHead Instance = new();
}

public sealed record EventHead(long Offset, string? Failure = null);
