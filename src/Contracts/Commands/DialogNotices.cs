using CallCluster.Contracts.Dialogs;

namespace CallCluster.Contracts.Commands;

/// <summary>The dialog's answer to <see cref="AttachCommand"/>.</summary>
public sealed record DialogAttached(string CmdId, DialogView Dialog) : ICommandMessage;

/// <summary>The dialog refused <see cref="AttachCommand"/>: <paramref name="Reason"/> says which command or past
/// attempt conflicts. The command ends failed -32002.</summary>
public sealed record DialogBusy(string CmdId, string CallId, string Reason) : ICommandMessage;

/// <summary>An EVI event of a dialog, forwarded (through the command shard region, so it follows the command
/// wherever it lives) to a command attached to that dialog.</summary>
public sealed record DialogEventNotice(string CmdId, IEviEvent Event) : ICommandMessage;
