namespace CallCluster.Contracts.Commands;

/// <summary>The command exists and runs (or ran); <paramref name="Existing"/> when an idempotent repeat.</summary>
public sealed record CommandAccepted(string CmdId, bool Existing) : ICommandMessage;

/// <summary>The request was refused before anything started; carries a client-protocol error.</summary>
public sealed record CommandRejected(string CmdId, int Code, string Message, string? Data) : ICommandMessage;

public sealed record CommandSubscribed(string CmdId, string Method, string Status, int LastSeq) : ICommandMessage;

/// <summary>A command's state for CommandGet. <paramref name="Status"/> is running, ok or failed.</summary>
public sealed record CommandSnapshot(
    string CmdId,
    string Method,
    IReadOnlyDictionary<string, string> Params,
    string Status,
    IReadOnlyList<CommandNotification> Notifications) : ICommandMessage;
