using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Connection;

// Mutable book-keeping owned by one ConnectionActor; never shared, never sent as a message.

internal enum PendingKind
{
    Start,
    Subscribe,
    Get,
}

/// <summary>A request sent to the command region and not answered yet.</summary>
internal sealed class PendingRequest(PendingKind kind, string? idJson, string cmdId, BatchReply? batch, int slot, long deadlineMs)
{
    public PendingKind Kind { get; } = kind;
    public string? IdJson { get; } = idJson;
    public string CmdId { get; } = cmdId;
    public BatchReply? Batch { get; } = batch;
    public int Slot { get; } = slot;
    public long DeadlineMs { get; } = deadlineMs;
    public bool Done { get; set; }

    /// <summary>The message sent to the command region, kept to send it once more when unanswered (a shard being
    /// handed off drops what it receives); starting or subscribing the same cmd_id twice is harmless.</summary>
    public object? Message { get; init; }

    public bool Resent { get; set; }

    /// <summary>Start: the gateway's span of this request (docs/tracing.md), ended with its answer; null when not traced.</summary>
    public System.Diagnostics.Activity? Span { get; init; }

    /// <summary>CommandSubscribe: the client's after_seq, checked against the command's last seq when it answers.</summary>
    public int AfterSeq { get; init; }

    /// <summary>CommandSubscribe: the track was created by this request (nothing else of the connection followed it).</summary>
    public bool NewTrack { get; init; }

    /// <summary>Start and Subscribe hold the command's notifications back until their reply is written.</summary>
    public bool Blocks => Kind != PendingKind.Get;
}

/// <summary>The replies of one batch frame, written as one array once every slot is filled.</summary>
internal sealed class BatchReply(int slots)
{
    public byte[]?[] Slots { get; } = new byte[]?[slots];
    public int Filled { get; set; }
    public bool Sealed { get; set; }
    public bool Flushed { get; set; }

    /// <summary>Commands whose notifications wait for this batch's reply.</summary>
    public List<string> ToUnblock { get; } = [];
}

/// <summary>What this connection knows about one command it started or subscribed to.</summary>
internal sealed class CommandTrack(int lastSeq)
{
    /// <summary>Highest seq accepted for delivery; anything at or below is a duplicate.</summary>
    public int LastSeq { get; set; } = lastSeq;

    /// <summary>Replies (Start/Subscribe) not yet written; notifications wait while this is above zero.</summary>
    public int Blocking { get; set; }

    /// <summary>The command service accepted a Start or Subscribe of it for this connection.</summary>
    public bool Attached { get; set; }

    /// <summary>Counted in the connection's in-flight cap (started here and not yet Ended).</summary>
    public bool CountsInFlight { get; set; }

    public bool Ended { get; set; }

    /// <summary>The dialect's memory of this command (what the original dialect repeats in its events).</summary>
    public DialectMemory? Memory { get; set; }

    /// <summary>When this command last showed life (attach or notification), Environment.TickCount64.</summary>
    public long LastActivityMs { get; set; }

    /// <summary>In-order notifications waiting for a reply to be written.</summary>
    public List<CommandNotification>? Held { get; set; }

    /// <summary>The token's in-flight permit for this command (docs/security.md), returned when the track goes.</summary>
    public System.Threading.RateLimiting.RateLimitLease? Lease { get; set; }

    /// <summary>Notifications that arrived ahead of a missing seq.</summary>
    public SortedList<int, CommandNotification>? Ahead { get; set; }
}
