using Akka.Actor;
using Akka.Event;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>Ending a dialog the command is done with (the click-to-dial placeholder, a transferred call) before the
/// command's own Ended. The outcome only gets logged: the client's result does not depend on it.</summary>
public sealed partial class CommandEntity
{
    private const string CleanupTag = "cleanup";

    private void EndDialogThen(string dialogId, Action then)
    {
        _miPool.Tell(new MiCall("dlg_end_dlg", [new("dialog_id", dialogId)], Tag: CleanupTag));
        Become(() =>
        {
            CommonHandlers();
            Command<MiOutcome>(o => Equals(o.Tag, CleanupTag), outcome =>
            {
                if (outcome is not MiSuccess and not MiFailure { Code: 404 })
                {
                    _log.Warning("Command {0}: could not end dialog {1}: {2}", CmdId, dialogId, Describe(outcome));
                }

                then();
            });
            Command<MiOutcome>(late => _log.Debug("Command {0}: late {1} reply ignored", CmdId, late.Method));
            CommandAny(_ => { }); // events of a dialog being torn down need no answer
        });
    }

    private int EmittedCount(string code)
    {
        var count = 0;
        foreach (var n in _notifications)
        {
            if (n.Kind == Contracts.Commands.NotificationKind.Event && n.Data == code)
            {
                count++;
            }
        }

        return count;
    }
}
