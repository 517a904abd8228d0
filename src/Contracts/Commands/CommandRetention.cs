namespace CallCluster.Contracts.Commands;

/// <summary>Journal retention (docs/retention.md): the retention sweeper asks an ended command to delete its events.
/// The entity answers <see cref="CommandPurged"/> to the sender; a command still running keeps everything.</summary>
public sealed record PurgeCommand(string CmdId) : ICommandMessage;

/// <summary>The answer to <see cref="PurgeCommand"/>. <paramref name="Removed"/>: the command's events are deleted
/// (now or earlier); false when the command is still running (or unknown) and nothing was deleted.</summary>
public sealed record CommandPurged(string CmdId, bool Removed) : ICommandMessage;
