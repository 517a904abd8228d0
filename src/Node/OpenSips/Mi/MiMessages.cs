using System.Diagnostics;
using System.Text.Json;

namespace CallCluster.Node.OpenSips;

/// <summary>One MI JSON-RPC request for the <see cref="MiPool"/>. Local only (never serialized).
/// Param values: string, int or long; named params only, written in the given order; an empty list omits
/// <c>params</c> (OpenSIPS accepts that, e.g. <c>dlg_list</c>, <c>events_list</c>).
/// The sender gets exactly one <see cref="MiOutcome"/>, carrying <paramref name="Tag"/> back.</summary>
public sealed record MiCall(
    string Method,
    IReadOnlyList<KeyValuePair<string, object>> Params,
    object? Tag = null,
    TimeSpan? Timeout = null)
{
    /// <summary>How many times to send the request again (each time with a new id) when an attempt gets no reply in
    /// time; null = the pool's policy: <see cref="MiSettings.Retries"/> for idempotent methods
    /// (<see cref="MiMethods.IsIdempotent"/>), none for the others. The timeout applies to each attempt.</summary>
    public int? Retries { get; init; }

    /// <summary>The span this request belongs to (a command's, docs/tracing.md): its MI span is that span's child.
    /// Carried in the message because Activity.Current does not cross a mailbox. Default (no parent): the request is
    /// not traced at all, so the proxy checks and subscriptions that run on their own make no traces.</summary>
    public ActivityContext TraceParent { get; init; }
}

/// <summary>The single answer to an <see cref="MiCall"/>.</summary>
public abstract record MiOutcome(object? Tag, string Method)
{
    /// <summary>Which attempt this outcome answers (1 = the first send; more after retries of an idempotent call).
    /// A reply only ever answers the attempt whose id it carries.</summary>
    public int Attempts { get; init; } = 1;
}

/// <summary>A JSON <c>result</c>. <paramref name="Value"/> is a standalone copy, independent of any buffer.</summary>
public sealed record MiSuccess(object? Tag, string Method, JsonElement Value) : MiOutcome(Tag, Method);

/// <summary>A JSON <c>error</c> (negative JSON-RPC codes or positive SIP-like codes), a plain-text reply
/// (<c>400 Parse_error</c>, <c>500 Internal error</c>), or a call rejected locally (code <see cref="LocalReject"/>).</summary>
public sealed record MiFailure(object? Tag, string Method, int Code, string Message, string? Data) : MiOutcome(Tag, Method)
{
    /// <summary>Code of calls refused before sending (bad method/params, too large, socket error).</summary>
    public const int LocalReject = 0;
}

/// <summary>No final reply within <paramref name="After"/>. A reply arriving later is ignored.</summary>
public sealed record MiTimeout(object? Tag, string Method, TimeSpan After) : MiOutcome(Tag, Method);

/// <summary>Refused without sending: max-in-flight reached.</summary>
public sealed record MiOverloaded(object? Tag, string Method) : MiOutcome(Tag, Method);

/// <summary>Ask the <see cref="MiPool"/> for its counters; it replies <see cref="MiStats"/>.</summary>
public sealed record GetMiStats
{
    public static readonly GetMiStats Instance = new();
    private GetMiStats() { }
}

/// <summary>Totals since start. Socket counters are reported to the pool on each sweep, so they may lag
/// by one sweep interval; <paramref name="InFlight"/> is exact.</summary>
public sealed record MiStats(long Sent, long Replied, long TimedOut, long Late, long Malformed, long InFlight)
{
    /// <summary>Calls refused with <see cref="MiOverloaded"/>.</summary>
    public long Overloaded { get; init; }
}
