using Akka.Actor;

namespace CallCluster.Contracts.Commands;

/// <summary>Start (or, for an existing cmd_id with the same method and params, re-attach to) a command.
/// <paramref name="Params"/> are the validated, alias-normalised string parameters.
/// The entity answers <see cref="CommandAccepted"/> or <see cref="CommandRejected"/> to
/// <paramref name="Subscriber"/>, then streams <see cref="CommandNotification"/>s to it.</summary>
public sealed record StartCommand(
    string CmdId,
    string Method,
    IReadOnlyDictionary<string, string> Params,
    IActorRef Subscriber) : ICommandMessage
{
    /// <summary>The W3C <c>traceparent</c> of the gateway's span for this request (docs/tracing.md), so that the
    /// command's span joins the same trace on whichever node runs it; null when the gateway does not trace or did not
    /// sample it. Optional on the wire both ways: a message from a node without it reads as null, and a node that does
    /// not know it skips it. Never part of the command's identity (a repeated start with another trace is the same
    /// command) and never stored: the journal's <c>CommandStarted</c> does not carry it.</summary>
    public string? TraceParent { get; init; }

    /// <summary>True only on the gateway's first send of a cmd_id it generated itself for this request (a random
    /// UUID): nothing can be stored under it yet, so the command entity skips the journal read that would tell it so
    /// (docs/persistence.md, "A new command skips the recovery read"). False for a client-supplied cmd_id, which may
    /// name an existing command, and on every resend, which may reach an incarnation that already stored the start.
    /// Optional on the wire like <see cref="TraceParent"/>: a gateway without it sends false, the safe value.</summary>
    public bool FreshCmdId { get; init; }
}

/// <summary>CommandSubscribe: replay notifications with seq &gt; <paramref name="AfterSeq"/>, then stream live ones.
/// Answered with <see cref="CommandSubscribed"/> (before the replay) or <see cref="CommandRejected"/>.</summary>
public sealed record SubscribeCommand(string CmdId, int AfterSeq, IActorRef Subscriber) : ICommandMessage;

/// <summary>Stop streaming to a subscriber (its connection closed).</summary>
public sealed record UnsubscribeCommand(string CmdId, IActorRef Subscriber) : ICommandMessage;

/// <summary>CommandGet: answered with <see cref="CommandSnapshot"/> or <see cref="CommandRejected"/>.</summary>
public sealed record GetCommand(string CmdId) : ICommandMessage;
