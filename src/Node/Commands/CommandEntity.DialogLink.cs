using Akka.Actor;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.Commands;

/// <summary>Linking a command to the dialog entities whose events it needs. Attaching is a state of its own:
/// the dialog may live on another node or be recovering, so the request is repeated until it answers.</summary>
public sealed partial class CommandEntity
{
    private const string AttachTimer = "attach-dialog";
    private const int MaxAttachAttempts = 10;
    private const int MaxBusyChecks = 5;
    private static readonly TimeSpan BusyRecheck = TimeSpan.FromMilliseconds(100);
    private readonly HashSet<string> _linkedCallIds = new(StringComparer.Ordinal);

    private sealed record AttachRetry(string CallId, DialogOperation Operation);

    private void BecomeAttaching(string callId, DialogOperation operation, Action<DialogView> onAttached)
    {
        // Remembered before the answer: if the answer is lost, the dialog may still have recorded us.
        _linkedCallIds.Add(callId);
        var attempts = 1;
        var busyChecks = 0;
        _dialogRegion.Tell(new AttachCommand(callId, CmdId, operation));
        Timers.StartPeriodicTimer(AttachTimer, new AttachRetry(callId, operation), _settings.DialogAttachRetry);

        Become(() =>
        {
            CommonHandlers();
            Command<DialogAttached>(attached =>
            {
                Timers.Cancel(AttachTimer);
                onAttached(attached.Dialog);
                Stash.UnstashAll();
            });
            Command<AttachRetry>(retry =>
            {
                // After a quick busy re-check the regular cadence resumes, in case this answer is lost too.
                Timers.StartPeriodicTimer(AttachTimer, retry, _settings.DialogAttachRetry);
                if (++attempts > MaxAttachAttempts + MaxBusyChecks)
                {
                    Timers.Cancel(AttachTimer);
                    EndFailed(ErrorCodes.ServerError, "the dialog service did not answer for call " + retry.CallId);
                    return;
                }

                _dialogRegion.Tell(new AttachCommand(retry.CallId, CmdId, retry.Operation));
            });
            // The command that was busy may have just ended, its detach still on the way (a client sends the next
            // command when it sees the previous one's Ended): look again a few times before calling it busy.
            Command<DialogBusy>(busy =>
            {
                if (++busyChecks <= MaxBusyChecks)
                {
                    Timers.StartSingleTimer(AttachTimer, new AttachRetry(callId, operation), BusyRecheck);
                    return;
                }

                Timers.Cancel(AttachTimer);
                EndFailed(ErrorCodes.CallBusy, busy.Reason);
            });
            // Events can overtake the attach answer; keep them for the state that follows.
            Command<DialogEventNotice>(_ => Stash.Stash());
        });
    }

    private void DetachFromDialogs()
    {
        foreach (var callId in _linkedCallIds)
        {
            _dialogRegion.Tell(new DetachCommand(callId, CmdId));
        }
    }
}
