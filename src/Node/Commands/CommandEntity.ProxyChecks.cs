using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Hosting.Metrics;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>Checks with the proxy (<c>dlg_list</c>, idempotent, retried by the MI pool) while a flow waits for an MI
/// reply or an EVI event that a lost datagram or a restarted OpenSIPS would never deliver
/// (docs/faults-and-bad-input.md, "Proxy and journal faults"). Nothing here sends a request a second time that must
/// not be repeated: a call the proxy no longer knows ends failed -32003, never with a second INVITE or REFER.
/// - Waiting for t_uac_dlg's reply (up to the 130 s INVITE timeout): every <see cref="CommandSettings.ProxyCheckEvery"/>
///   the placeholder is looked up: confirmed = the caller answered (the reply was lost); deleted = the caller did not
///   answer; unknown (404) = the INVITE or the proxy was lost.
/// - Waiting for the transfer target's final answer (up to 130 s): the new call is looked up at the same cadence:
///   confirmed = ok (the event was lost); gone = failed.
/// - No E_CALL_TRANSFER start within the watchdog: the transferred call is looked up; gone = -32003 (the proxy lost
///   it), still there = the phone ignored the REFER, as before.</summary>
public sealed partial class CommandEntity
{
    private const string InviteWatchTimer = "invite-watch";
    private const string InviteWatchTag = "invite-watch";
    private const string TransferAnswerWatchTimer = "transfer-answer-watch";
    private const string TransferStartCheckTag = "transfer-start-check";

    /// <summary>call_transfer's timeout, when its reply never came (this incarnation only).</summary>
    private MiTimeout? _transferUnanswered;

    /// <summary>This incarnation resumed a transfer whose call_transfer a previous one decided but whose acceptance was
    /// never stored: the REFER may never have left (a node stopped, or a journal write was reported failed although it
    /// committed, right after the fact was stored). If no transfer starts, that is the proxy side's uncertainty
    /// (-32003), not proof that the phone ignored a REFER (-32000).</summary>
    private bool _referFateUnknown;

    private sealed record InviteWatch;

    private sealed record TransferAnswerWatch;

    private void StartInviteWatch() =>
        Timers.StartPeriodicTimer(InviteWatchTimer, new InviteWatch(), _settings.ProxyCheckEvery);

    /// <summary>Handlers of <see cref="AwaitingCallerAnswer"/> (registered before its catch-all).</summary>
    private void InviteWatchHandlers(string placeholder)
    {
        Command<InviteWatch>(_ =>
        {
            FaultMetrics.ProxyChecked("invite-reply");
            SendMi(new MiCall("dlg_list", [new("callid", placeholder)], Tag: InviteWatchTag));
        });
        Command<MiSuccess>(r => Equals(r.Tag, InviteWatchTag), r =>
        {
            switch (DlgListState(r))
            {
                case DialogPhase.Confirmed:
                    _log.Warning("Command {cmd_id}: t_uac_dlg's reply did not come but the caller's call is confirmed", CmdId);
                    CallerAnswered(placeholder, "200 OK", confirmed: true);
                    break;
                case DialogPhase.Deleted:
                    EndFailed(ErrorCodes.ServerError, "the caller did not answer (its final answer was not reported)");
                    break;
            }
        });
        Command<MiFailure>(r => Equals(r.Tag, InviteWatchTag) && r.Code == 404, _ => EndFailed(ErrorCodes.ProxyUnavailable,
            "the SIP proxy has no record of the call to the caller (the INVITE or the proxy's state was lost); " +
            "not sent again, as the caller's phone may have rung"));
        Command<MiOutcome>(r => Equals(r.Tag, InviteWatchTag), _ => { }); // proxy not answering: the next check, or the INVITE timeout
    }

    private void StartTransferAnswerWatch() =>
        Timers.StartPeriodicTimer(TransferAnswerWatchTimer, new TransferAnswerWatch(), _settings.ProxyCheckEvery);

    /// <summary>Handlers of <see cref="FollowingTransfer"/> (registered first: they only take what they decide on, and
    /// leave a confirmed new call to the flow's own handler).</summary>
    private void TransferWatchHandlers(TransferPlan plan)
    {
        Command<TransferAnswerWatch>(_ =>
        {
            if (_state.EmittedCount(EventCodes.CallStart) > 0)
            {
                FaultMetrics.ProxyChecked("transfer-answer");
                CheckNewCall();
            }
        });
        // The new call gone without ok/fail: its final answer was not reported (the event was lost, or the proxy restarted).
        Command<MiFailure>(r => Equals(r.Tag, NewCallCheckTag) && r.Code == 404, _ => FailTransfer(plan, ErrorCodes.ProxyUnavailable,
            "the transferred call is gone from the SIP proxy and its final answer was not reported"));
        Command<MiSuccess>(r => Equals(r.Tag, NewCallCheckTag) && DlgListState(r) == DialogPhase.Deleted, _ =>
            FailTransfer(plan, ErrorCodes.ProxyUnavailable, "the transferred call ended and its final answer was not reported"));
        Command<MiSuccess>(r => Equals(r.Tag, NewCallCheckTag) && Timers.IsTimerActive(TransferAnswerTimer)
                                && DlgListState(r) != DialogPhase.Confirmed, _ => { }); // still ringing: wait
        Command<MiOutcome>(r => Equals(r.Tag, NewCallCheckTag) && r is not MiSuccess && Timers.IsTimerActive(TransferAnswerTimer), _ => { });

        // call_transfer unanswered: the REFER may still have gone out (only its reply lost), and it must not be sent
        // again; the transfer's own events, or the start watchdog's check, decide.
        Command<MiTimeout>(t => Equals(t.Tag, TransferTag), t =>
        {
            _log.Warning("Command {cmd_id}: no reply to call_transfer within {timeout}; following the transfer's events", CmdId, t.After);
            _transferUnanswered = t;
        });

        // The start may have come while the check was out: then its answer no longer matters.
        Command<MiOutcome>(r => Equals(r.Tag, TransferStartCheckTag) && _state.EmittedCount(EventCodes.CallStart) > 0, _ => { });
        Command<MiSuccess>(r => Equals(r.Tag, TransferStartCheckTag), r =>
        {
            var state = DlgListState(r);
            if (state is DialogPhase.Deleted)
            {
                FailTransfer(plan, ErrorCodes.CallUnknown, $"call {plan.TransferredCallId} ended before the transfer started");
            }
            else if (_transferUnanswered is { } unanswered && _state.EmittedCount(EventCodes.TransferAccept) == 0)
            {
                FailTransfer(plan, ErrorCodes.ProxyUnavailable,
                    $"the SIP proxy did not answer call_transfer within {unanswered.After.TotalSeconds:0.#}s and no transferred call started");
            }
            else if (_referFateUnknown && _state.EmittedCount(EventCodes.TransferAccept) == 0)
            {
                FailTransfer(plan, ErrorCodes.ProxyUnavailable,
                    $"no transferred call started within {_settings.TransferStartTimeout.TotalSeconds:0.#}s; this command resumed after a " +
                    "node or journal failure and whether its REFER reached the SIP proxy is unknown (not sent again: a second REFER " +
                    "could transfer the call twice)");
            }
            else
            {
                FailTransfer(plan, ErrorCodes.ServerError,
                    $"no transferred call started within {_settings.TransferStartTimeout.TotalSeconds:0.#}s: " +
                    "the phone rejected or ignored the REFER");
            }
        });
        Command<MiFailure>(r => Equals(r.Tag, TransferStartCheckTag) && r.Code == 404, _ => FailTransfer(plan, ErrorCodes.ProxyUnavailable,
            $"no transferred call started within {_settings.TransferStartTimeout.TotalSeconds:0.#}s and the SIP proxy no longer " +
            $"knows call {plan.TransferredCallId} (it restarted, or the call ended unreported)"));
        Command<MiOutcome>(r => Equals(r.Tag, TransferStartCheckTag), o => FailTransfer(plan, ErrorCodes.ProxyUnavailable,
            $"no transferred call started within {_settings.TransferStartTimeout.TotalSeconds:0.#}s and the SIP proxy did not " +
            "say whether the call still exists: " + Describe(o)));
    }

    /// <summary>The start watchdog fired: ask before blaming the phone.</summary>
    private void CheckTransferredCall(TransferPlan plan)
    {
        FaultMetrics.ProxyChecked("transfer-start");
        SendMi(new MiCall("dlg_list", [new("callid", plan.TransferredCallId)], Tag: TransferStartCheckTag));
    }
}
