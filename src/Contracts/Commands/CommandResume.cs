namespace CallCluster.Contracts.Commands;

/// <summary>Wakes a command (docs/survival.md, "Nothing waits to be touched"): sent through the command region by the
/// command resumer to every command opened and not closed, and by a command to itself when its shard moves. Delivering
/// it starts the entity, which recovers and resumes its flow; a running or ended command only answers
/// <see cref="CommandWoken"/> (to a sender that is not NoSender). Harmless to send any number of times.</summary>
public sealed record ResumeCommand(string CmdId) : ICommandMessage;

/// <summary>The answer to <see cref="ResumeCommand"/>: the entity is running (recovered) on some node.</summary>
public sealed record CommandWoken(string CmdId) : ICommandMessage;
