using System.Text.Json.Serialization;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Gateway.Rest;

// What the REST API answers and accepts, as immutable records; names are written snake_case (RestApi.JsonNaming), the
// same member names as the WebSocket API's results. The request bodies exist for the OpenAPI document: a body is read
// as JSON and validated by the method's own rules (RestParams), so a member missing here is not a second rule.

/// <summary>202 to a command: the cmd_id (the Idempotency-Key when one was sent), and where to poll it.</summary>
/// <param name="Existing">True when the cmd_id already named this command (a repeat): nothing new was started.</param>
public sealed record CommandStartedResource(string CmdId, string Status, bool Existing, string Href);

/// <summary>GET /v1/commands/{cmd_id}: as CommandGet's result. <paramref name="Status"/> is running, ok or failed.</summary>
public sealed record CommandResource(string CmdId, string Method, IReadOnlyDictionary<string, string> Params, string Status,
    IReadOnlyList<NotificationResource> Notifications)
{
    public static CommandResource From(CommandSnapshot s) =>
        new(s.CmdId, s.Method, s.Params, s.Status, [.. s.Notifications.Select(NotificationResource.From)]);
}

/// <summary>One notification a command emitted: an Event (<paramref name="Data"/> is its code) or the final Ended
/// (<paramref name="Status"/> ok or failed, <paramref name="Error"/> why).</summary>
public sealed record NotificationResource(
    int Seq,
    string Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Callid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Leg,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Destination,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SipStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CommandError? Error)
{
    public static NotificationResource From(CommandNotification n) => n.Kind == NotificationKind.Ended
        ? new(n.Seq, "Ended", null, null, null, null, null, n.Status ?? CommandNotification.StatusOk, n.Error)
        : new(n.Seq, "Event", n.Data, n.CallId, n.Leg, n.Destination, n.SipStatus, null, null);
}

/// <summary>A call as CallGet reports it; in a list without <paramref name="CmdIds"/>.</summary>
public sealed record CallResource(
    string Callid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DialogId,
    string State,
    int StateCode,
    string? Caller,
    string? Callee,
    HoldResource Hold,
    DateTime? StartedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? CmdIds)
{
    public static CallResource From(DialogView v, bool withCommands) => new(
        v.CallId, v.DialogId, DialogStateNames.Of(v.State), v.State, v.Caller, v.Callee,
        new HoldResource(v.CallerHeld, v.CalleeHeld),
        v.StartedAtMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(v.StartedAtMs).UtcDateTime : null,
        withCommands ? v.CmdIds : null);
}

public sealed record HoldResource(bool Caller, bool Callee);

/// <summary>One page of GET /v1/calls; <paramref name="Next"/> is the next page's URL (null on the last page).</summary>
public sealed record CallListResource(IReadOnlyList<CallResource> Calls, string? NextCursor, string? Next);

/// <summary>POST /v1/calls.</summary>
public sealed record CallStartBody(string Caller, string Callee);

/// <summary>POST /v1/calls/{callid}/hold and /unhold: both legs when <paramref name="Leg"/> is absent.</summary>
public sealed record HoldBody(string? Leg = null);

/// <summary>POST /v1/calls/{callid}/transfer (CallBlindTransfer).</summary>
public sealed record TransferBody(string Leg, string Destination);

/// <summary>POST /v1/calls/{callid}/attended-transfer: the path's call is callid_a.</summary>
public sealed record AttendedTransferBody(string LegA, string CallidB, string LegB, string? Destination = null);
