namespace CallCluster.Contracts.Commands;

public enum NotificationKind
{
    Event = 0,
    Ended = 1,
}

public sealed record CommandError(int Code, string Message);

/// <summary>One notification of a command, numbered by <paramref name="Seq"/> (1, 2, 3... per command).
/// Event: <paramref name="Data"/> is the event code; CallId, Leg, Destination, SipStatus give context.
/// Ended: <paramref name="Status"/> is ok or failed; <paramref name="Error"/> says why when failed.</summary>
public sealed record CommandNotification(
    string CmdId,
    int Seq,
    NotificationKind Kind,
    string? Data = null,
    string? CallId = null,
    string? Leg = null,
    string? Destination = null,
    string? SipStatus = null,
    string? Status = null,
    CommandError? Error = null) : ICommandMessage
{
    public const string StatusOk = "ok";
    public const string StatusFailed = "failed";

    public static CommandNotification Event(string cmdId, int seq, string code, string? callId = null,
        string? leg = null, string? destination = null, string? sipStatus = null) =>
        new(cmdId, seq, NotificationKind.Event, code, callId, leg, destination, sipStatus);

    public static CommandNotification EndedOk(string cmdId, int seq) =>
        new(cmdId, seq, NotificationKind.Ended, Status: StatusOk);

    public static CommandNotification EndedFailed(string cmdId, int seq, int code, string message) =>
        new(cmdId, seq, NotificationKind.Ended, Status: StatusFailed, Error: new CommandError(code, message));
}
