using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>CallStart {caller, callee}: click-to-dial as RFC 5359 §2.x "3pcc via REFER".
/// 1. <c>t_uac_dlg</c> INVITE to the caller, looped through OpenSIPS (next_hop) so the proxy creates a dialog: the
///    placeholder call, with its own Call-ID (never the cmd_id), chosen and stored with the start
///    (<see cref="CallStartPrepared"/>). 2xx → CALL_ANSWER (leg caller), reported once the proxy confirms the call
///    (below), in the same journal write as the REFER's decision.
/// 2. Once the proxy reports the placeholder confirmed (state 4: the ACK went out), <c>call_transfer</c> its callee
///    leg (the caller's phone) to the callee: TRANSFER_ACCEPT, CALL_START (the caller's phone dials), CALL_ANSWER
///    (callee answered, leg callee).
/// 3. <c>dlg_end_dlg</c> the placeholder, Ended ok. Any failure ends the placeholder too and ends failed.
/// States, in order:
/// <see cref="Attaching"/> (to the placeholder) → <see cref="AwaitingCallerAnswer"/> → <see cref="AwaitingConfirmed"/>
/// → <see cref="FollowingTransfer"/> (CommandEntity.Transfer.cs) → Ended (the placeholder's dlg_end_dlg logged there).</summary>
public sealed partial class CommandEntity
{
    private const string InviteTag = "invite";
    private const string ConfirmTimer = "confirm";
    private const string ConfirmCheckTag = "confirm-check";
    private const string InviteCheckTag = "invite-check";

    private sealed record ConfirmTimeout;

    /// <summary>Waiting for the caller to answer the INVITE. <paramref name="Resumed"/>: its MI reply went to a previous
    /// incarnation, so the dialog's events and dlg_list decide. <paramref name="Confirmed"/>: state 4 already seen.</summary>
    private sealed record CallerAnswerWait(string Placeholder, bool Resumed, bool Confirmed = false);

    /// <summary>Stored with the start (one write): the placeholder's Call-ID, and that the INVITE goes out next.</summary>
    private static CallStartPrepared CallStartInitialFact() => new(NewPlaceholderCallId());

    private static string NewPlaceholderCallId() => "cc-" + Guid.NewGuid().ToString("N");

    private void StartCallStart(bool resumed)
    {
        // A journal older than the typed facts may hold no placeholder yet: choose one, stored before the INVITE.
        var placeholder = _state.PlaceholderCallId ?? NewPlaceholderCallId();
        // Stored "INVITE next" and not sent yet: if the shard is handed off while attaching, it goes out first.
        var inviteDue = !resumed && _state.HasRequestedInvite && _state.EmittedCount(EventCodes.CallAnswer) == 0;
        BecomeAttaching(placeholder, DialogOperation.Observe, dialog =>
        {
            if (_state.EmittedCount(EventCodes.CallAnswer) > 0)
            {
                AwaitConfirmedThenTransfer(placeholder, dialog.Phase());
            }
            else if (!_state.HasRequestedInvite)
            {
                // A journal written before the placeholder and the INVITE were stored with the start.
                PersistFact(new CallStartPrepared(placeholder), () => SendClickToDialInvite(placeholder));
            }
            else if (resumed)
            {
                ResumeAwaitingCallerAnswer(placeholder, dialog.Phase());
            }
            else
            {
                SendClickToDialInvite(placeholder);
            }
        }, beforeHandOff: inviteDue ? () => SendClickToDialInvite(placeholder) : null);
    }

    /// <summary>Resumed after the INVITE may have left: its MI reply went to the previous incarnation; the dialog's
    /// state events (or dlg_list when they do not come) tell what happened. A hand-off never leaves the INVITE unsent
    /// (CommandHandOff); only a crash between storing the start and sending the INVITE ends here without one: dlg_list
    /// then reports no call and the command fails rather than risk ringing the caller twice.</summary>
    private void ResumeAwaitingCallerAnswer(string placeholder, DialogPhase knownPhase)
    {
        if (knownPhase == DialogPhase.Confirmed)
        {
            CallerAnswered(placeholder, "200 OK", confirmed: true);
            return;
        }

        SendMi(new MiCall("dlg_list", [new("callid", placeholder)], Tag: InviteCheckTag));
        Timers.StartSingleTimer(ConfirmTimer, new ConfirmTimeout(), _settings.TransferAnswerTimeout);
        var wait = new CallerAnswerWait(placeholder, Resumed: true);
        Become(() => AwaitingCallerAnswer(wait));
    }

    private void SendClickToDialInvite(string placeholder)
    {
        var caller = Param("caller");
        var callee = Param("callee");
        // Header lines end in CRLF; no Content-Length (OpenSIPS refuses it, docs/opensips.md §1).
        var headers = $"From: <{caller}>\r\nTo: <{callee}>\r\nContact: <{_settings.UacContact}>\r\n" +
                      $"Content-Type: application/sdp\r\nCSeq: 1 INVITE\r\nCall-ID: {placeholder}\r\n";
        List<KeyValuePair<string, object>> parameters =
        [
            new("method", "INVITE"),
            new("ruri", caller),
            new("headers", headers),
            new("body", PlaceholderSdp),
        ];
        if (!string.IsNullOrEmpty(_settings.NextHop))
        {
            parameters.Add(new("next_hop", _settings.NextHop));
        }

        SendMi(new MiCall("t_uac_dlg", parameters, Tag: InviteTag));
        StartInviteWatch();
        var wait = new CallerAnswerWait(placeholder, Resumed: false);
        Become(() => AwaitingCallerAnswer(wait));
    }

    /// <summary>The INVITE is out (or may be, when resumed): t_uac_dlg's reply carries the caller's final answer.</summary>
    private void AwaitingCallerAnswer(CallerAnswerWait wait)
    {
        var placeholder = wait.Placeholder;
        CommonHandlers();
        Command<MiSuccess>(r => Equals(r.Tag, InviteTag), r =>
        {
            var status = r.Value.ValueKind == JsonValueKind.Object && r.Value.TryGetProperty("Status", out var s)
                ? s.GetString() ?? ""
                : "";
            if (status.StartsWith('2'))
            {
                CallerAnswered(placeholder, status, wait.Confirmed);
            }
            else
            {
                EndFailed(ErrorCodes.ServerError, "the caller did not answer: " + (status.Length > 0 ? status : "no status"));
            }
        });
        Command<MiFailure>(r => Equals(r.Tag, InviteTag), f =>
            EndFailed(ErrorCodes.ServerError, $"the SIP proxy refused the INVITE to the caller: {f.Code} {f.Message}"));
        Command<MiTimeout>(t => Equals(t.Tag, InviteTag), t => EndDialogThen(placeholder, () =>
            EndFailed(ErrorCodes.ProxyUnavailable, $"the SIP proxy did not answer t_uac_dlg within {t.After.TotalSeconds:0.#}s")));
        Command<MiOverloaded>(r => Equals(r.Tag, InviteTag), _ =>
            EndFailed(ErrorCodes.Overloaded, "too many requests in flight to the SIP proxy"));
        Command<DialogEventNotice>(n => n.Event is DialogStateChanged d && d.CallId == placeholder, n =>
        {
            var state = ((DialogStateChanged)n.Event).NewPhase();
            if (wait.Resumed && state == DialogPhase.Confirmed)
            {
                CallerAnswered(placeholder, "200 OK", confirmed: true);
            }
            else if (wait.Resumed && state == DialogPhase.Deleted)
            {
                EndFailed(ErrorCodes.ServerError, "the caller did not answer");
            }
            else if (state == DialogPhase.Confirmed && !wait.Confirmed)
            {
                var confirmed = wait with { Confirmed = true };
                Become(() => AwaitingCallerAnswer(confirmed));
            }
        });
        Command<DialogEventNotice>(_ => { });
        Command<MiSuccess>(r => Equals(r.Tag, InviteCheckTag), r =>
        {
            var state = DlgListState(r);
            if (state == DialogPhase.Confirmed)
            {
                CallerAnswered(placeholder, "200 OK", confirmed: true);
            }
            else if (state == DialogPhase.Deleted)
            {
                EndFailed(ErrorCodes.ServerError, "the caller did not answer");
            }
        });
        Command<MiFailure>(r => Equals(r.Tag, InviteCheckTag) && r.Code == 404, _ =>
            EndFailed(ErrorCodes.ServerError, "the caller did not answer"));
        Command<ConfirmTimeout>(_ => EndDialogThen(placeholder, () =>
            EndFailed(ErrorCodes.ProxyUnavailable, "the caller's answer was not reported after the restart")));
        InviteWatchHandlers(placeholder);
        Command<MiOutcome>(late => _log.Debug("Command {cmd_id}: late {mi_method} reply ignored", CmdId, late.Method));
    }

    private void CallerAnswered(string placeholder, string status, bool confirmed)
    {
        Timers.Cancel(ConfirmTimer);
        Timers.Cancel(InviteWatchTimer);
        AwaitConfirmedThenTransfer(placeholder, confirmed ? DialogPhase.Confirmed : DialogPhase.Unknown, new CallerAnswer(placeholder, status));
    }

    /// <summary>The caller's 2xx, not yet reported. Its CALL_ANSWER goes out once the call is confirmed, while handling
    /// the same message that decides the REFER, so both travel in one journal write instead of two (the confirmation
    /// follows the 2xx by the ACK's loop through the proxy, a few milliseconds); on any failure before that, it is
    /// reported first, so a client sees what it saw before: CALL_ANSWER, then the failure.</summary>
    private sealed record CallerAnswer(string Placeholder, string Status);

    /// <summary>The REFER must follow the ACK, which tm sends before the MI reply but which still has to loop
    /// through the proxy: wait for the dialog's state 4 rather than sleeping (the original's 500 ms).
    /// <paramref name="answer"/>: the caller's answer still to report (null when resumed after reporting it).</summary>
    private void AwaitConfirmedThenTransfer(string placeholder, DialogPhase knownState, CallerAnswer? answer = null)
    {
        if (knownState == DialogPhase.Confirmed || _state.HasRequestedTransfer)
        {
            ReportCallerAnswer(answer);
            TransferCallerToCallee(placeholder);
            return;
        }

        Timers.StartSingleTimer(ConfirmTimer, new ConfirmTimeout(), _settings.ConfirmTimeout);
        Become(() => AwaitingConfirmed(placeholder, answer));
    }

    private void ReportCallerAnswer(CallerAnswer? answer)
    {
        if (answer is not null)
        {
            EmitEvent(EventCodes.CallAnswer, callId: answer.Placeholder, leg: "caller", sipStatus: answer.Status);
        }
    }

    /// <summary>The caller answered; waiting for the placeholder's state 4 (its ACK), asking dlg_list if it is late.</summary>
    private void AwaitingConfirmed(string placeholder, CallerAnswer? answer)
    {
        CommonHandlers();
        Command<DialogEventNotice>(n => n.Event is DialogStateChanged { NewState: (int)DialogPhase.Confirmed } d && d.CallId == placeholder, _ =>
        {
            Timers.Cancel(ConfirmTimer);
            ReportCallerAnswer(answer);
            TransferCallerToCallee(placeholder);
        });
        Command<DialogEventNotice>(n => n.Event is DialogStateChanged { NewState: (int)DialogPhase.Deleted } d && d.CallId == placeholder, _ =>
        {
            Timers.Cancel(ConfirmTimer);
            ReportCallerAnswer(answer);
            EndFailed(ErrorCodes.ServerError, "the caller hung up before the callee was called");
        });
        Command<DialogEventNotice>(_ => { });
        Command<ConfirmTimeout>(_ => SendMi(new MiCall("dlg_list", [new("callid", placeholder)], Tag: ConfirmCheckTag)));
        Command<MiSuccess>(r => Equals(r.Tag, ConfirmCheckTag), r =>
        {
            var state = DlgListState(r);
            ReportCallerAnswer(answer);
            if (state == DialogPhase.Confirmed)
            {
                TransferCallerToCallee(placeholder);
            }
            else
            {
                EndDialogThen(placeholder, () => EndFailed(ErrorCodes.ProxyUnavailable,
                    $"the caller's call was not confirmed within {_settings.ConfirmTimeout.TotalSeconds:0.#}s (state {(int)state})"));
            }
        });
        Command<MiOutcome>(r => Equals(r.Tag, ConfirmCheckTag), o =>
        {
            ReportCallerAnswer(answer);
            EndDialogThen(placeholder, () =>
                EndFailed(ErrorCodes.ProxyUnavailable, "the caller's call was not confirmed: " + Describe(o)));
        });
        Command<MiOutcome>(late => _log.Debug("Command {cmd_id}: late {mi_method} reply ignored", CmdId, late.Method));
    }

    private void TransferCallerToCallee(string placeholder)
    {
        var callee = Param("callee");
        // In the placeholder dialog the caller's phone is the *callee* leg: OpenSIPS's UAC is the caller (docs/opensips.md §1).
        RunTransfer(new TransferPlan(
            placeholder,
            [new("callid", placeholder), new("leg", "callee"), new("destination", callee)],
            new HashSet<string>(StringComparer.Ordinal) { placeholder },
            ok => EndDialogThen(placeholder, () =>
                EmitEventThenEndOk(EventCodes.CallAnswer, callId: ok.TransferCallId, leg: "callee", sipStatus: NullIfEmpty(ok.Status))),
            (code, message) => EndDialogThen(placeholder, () => EndFailed(code, message))));
    }

    /// <summary>An SDP offer with no media address: the phones renegotiate with each other after the transfer.</summary>
    private const string PlaceholderSdp =
        "v=0\r\no=callcluster 0 0 IN IP4 0.0.0.0\r\ns=callcluster\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}
