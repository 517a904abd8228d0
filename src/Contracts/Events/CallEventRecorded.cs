namespace CallCluster.Contracts.Events;

/// <summary>One call event for applications (docs/call-events.md), persisted by a node's call-event log with the tag
/// <c>call-event</c>: the journal is the outbox that WebSocket subscribers and webhook deliveries read by tag, so an
/// event is either in it for everyone or for no one. Field names are stored (MessagePack by name): never rename one.</summary>
/// <param name="Name">call.ringing, call.answered, call.held, call.resumed, call.transferred or call.ended.</param>
/// <param name="Seq">Per call, from 1, in the order the dialog entity saw the events.</param>
/// <param name="AtMs">When the dialog entity saw it (Unix ms, wall clock).</param>
/// <param name="CmdId">The command that caused it, when one did.</param>
/// <param name="Reason">call.ended: why (bye, cancelled-or-failed, ...); else null.</param>
/// <param name="Leg">call.held / call.resumed: caller or callee.</param>
/// <param name="Destination">call.transferred: where to.</param>
/// <param name="TransferCallId">call.transferred: the Call-ID of the new call.</param>
public sealed record CallEventRecorded(
    string Name,
    string CallId,
    long Seq,
    long AtMs,
    string? From,
    string? To,
    string? CmdId,
    string? Reason,
    string? Leg,
    string? Destination,
    string? TransferCallId) : ICallClusterMessage;
