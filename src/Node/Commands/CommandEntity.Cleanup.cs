using Akka.Actor;
using Akka.Event;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>Ending a dialog the command is done with (the click-to-dial placeholder, a transferred call) before the
/// command's own Ended. The outcome only gets logged: the client's result does not depend on it.</summary>
public sealed partial class CommandEntity
{
    private const string CleanupTag = "cleanup";

    /// <summary>Sends <c>dlg_end_dlg</c> and goes on at once: the request leaves before the command's Ended is even
    /// stored, and waiting for its answer would only delay the client. Its outcome arrives in the Ended state and is
    /// logged there (<see cref="LogCleanupOutcome"/>).</summary>
    private void EndDialogThen(string dialogId, Action then)
    {
        SendMi(new MiCall("dlg_end_dlg", [new("dialog_id", dialogId)], Tag: CleanupTag));
        then();
    }

    private void LogCleanupOutcome(MiOutcome outcome)
    {
        if (outcome is not MiSuccess and not MiFailure { Code: 404 })
        {
            _log.Warning("Command {cmd_id}: could not end a dialog it was done with: {outcome}", CmdId, Describe(outcome));
        }
    }
}
