using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.Commands;

/// <summary>Linking a command to the dialog entities whose events it needs. Attaching is a state of its own:
/// the dialog may live on another node or be recovering, so the request is repeated until it answers.
/// State: <see cref="Attaching"/> → the flow's next state (<see cref="Attachment.OnAttached"/>).</summary>
public sealed partial class CommandEntity
{
    private const string AttachTimer = "attach-dialog";
    private const int MaxAttachAttempts = 10;
    private const int MaxBusyChecks = 5;
    private static readonly TimeSpan BusyRecheck = TimeSpan.FromMilliseconds(100);
    /// <summary>The dialogs this incarnation attached to, with the operation it attached for.</summary>
    private readonly Dictionary<string, DialogOperation> _linkedDialogs = new(StringComparer.Ordinal);

    private sealed record AttachRetry(string CallId, DialogOperation Operation);

    /// <summary>Attaching to one dialog: how often it was asked, how often it answered busy, where the flow goes on, and
    /// what must still be done if the shard is handed off first (<paramref name="BeforeHandOff"/>: a request the
    /// journal already says is going out).</summary>
    private sealed record Attachment(string CallId, DialogOperation Operation, Action<DialogView> OnAttached,
        int Attempts = 1, int BusyChecks = 0, Action? BeforeHandOff = null);

    private void BecomeAttaching(string callId, DialogOperation operation, Action<DialogView> onAttached,
        Action? beforeHandOff = null)
    {
        // Remembered before the answer: if the answer is lost, the dialog may still have recorded us.
        _linkedDialogs[callId] = operation;
        _dialogRegion.Tell(new AttachCommand(callId, CmdId, operation));
        Timers.StartPeriodicTimer(AttachTimer, new AttachRetry(callId, operation), _settings.DialogAttachRetry);
        var attachment = new Attachment(callId, operation, onAttached, BeforeHandOff: beforeHandOff);
        Become(() => Attaching(attachment));
    }

    private void Attaching(Attachment attachment)
    {
        // Before CommonHandlers, whose hand-off handler only stops: the incarnation that resumes on the other node
        // cannot tell "stored but never sent" from "sent and already over" (dlg_list knows neither), so send it now.
        Command<CommandHandOff>(_ =>
        {
            Timers.Cancel(AttachTimer);
            attachment.BeforeHandOff?.Invoke();
            StopForHandOff();
        });
        CommonHandlers();
        Command<DialogAttached>(attached =>
        {
            Timers.Cancel(AttachTimer);
            attachment.OnAttached(attached.Dialog);
            Stash.UnstashAll();
        });
        Command<AttachRetry>(retry =>
        {
            // After a quick busy re-check the regular cadence resumes, in case this answer is lost too.
            Timers.StartPeriodicTimer(AttachTimer, retry, _settings.DialogAttachRetry);
            var next = attachment with { Attempts = attachment.Attempts + 1 };
            if (next.Attempts > MaxAttachAttempts + MaxBusyChecks)
            {
                Timers.Cancel(AttachTimer);
                EndFailed(ErrorCodes.ServerError, "the dialog service did not answer for call " + retry.CallId);
                return;
            }

            Become(() => Attaching(next));
            _dialogRegion.Tell(new AttachCommand(retry.CallId, CmdId, retry.Operation));
        });
        // The command that was busy may have just ended, its detach still on the way (a client sends the next
        // command when it sees the previous one's Ended): look again a few times before calling it busy.
        Command<DialogBusy>(busy =>
        {
            var next = attachment with { BusyChecks = attachment.BusyChecks + 1 };
            if (next.BusyChecks <= MaxBusyChecks)
            {
                Become(() => Attaching(next));
                Timers.StartSingleTimer(AttachTimer, new AttachRetry(attachment.CallId, attachment.Operation), BusyRecheck);
                return;
            }

            Timers.Cancel(AttachTimer);
            EndFailed(ErrorCodes.CallBusy, busy.Reason);
        });
        // Events can overtake the attach answer; keep them for the state that follows.
        Command<DialogEventNotice>(_ => Stash.Stash());
    }

    /// <summary>Attaches again to the dialogs among <paramref name="callIds"/> that this incarnation attached to, without
    /// waiting: a dialog that moved or was restarted since (its node left or died) may have forgotten this command, and
    /// keeps the events nobody claimed for a while; attaching again gets them replayed (DialogEntity.ReplayRecent). The
    /// answer is not awaited: the flow's own state takes the replayed events, and its watchdog still decides.</summary>
    private void ReattachToDialogs(IEnumerable<string> callIds)
    {
        foreach (var callId in callIds)
        {
            if (_linkedDialogs.TryGetValue(callId, out var operation))
            {
                _dialogRegion.Tell(new AttachCommand(callId, CmdId, operation));
            }
        }
    }

    /// <summary>Handlers for the answers to <see cref="ReattachToDialogs"/> in a flow state: nothing to do with them.
    /// Busy means another command took the dialog meanwhile; this one's watchdog decides as before.</summary>
    private void ReattachAnswerHandlers()
    {
        Command<DialogAttached>(_ => { });
        Command<DialogBusy>(busy => _log.Warning("Command {cmd_id}: attaching again to {callid} found it busy: {reason}",
            CmdId, busy.CallId, busy.Reason));
    }

    private void DetachFromDialogs()
    {
        foreach (var callId in _linkedDialogs.Keys)
        {
            _dialogRegion.Tell(new DetachCommand(callId, CmdId));
        }
    }
}
