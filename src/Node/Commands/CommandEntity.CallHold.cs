using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>CallHold {callid, leg?} (and, with action "unhold", CallUnHold): callops re-INVITEs each affected leg
/// (docs/opensips.md §3, §8). Without <c>leg</c> both legs are meant and the request carries no leg, which 3.x and 4.0 both
/// accept; with a leg, a 3.x proxy refuses and the command says so. E_CALL_HOLD start per leg may arrive before the
/// MI reply; then ok/fail per leg. CALL_HOLD (or CALL_UNHOLD) is sent for each leg the proxy reports ok; the command
/// ends when the MI reply and a final state for every affected leg are in — never by counting on a fixed number.
/// A leg counts as affected when asked for and not already in the target state, or when OpenSIPS reports its start:
/// a 4.0 hold of one leg re-INVITEs both (that leg sendonly, the other recvonly), but only the asked-for leg is held,
/// so only it gets CALL_HOLD, and the dialog is told which legs are now held.
/// States, in order: <see cref="Attaching"/> → (<see cref="CheckingAnswered"/> when the dialog's view is not
/// conclusive) → (<see cref="HoldRequested"/> stored, call_hold sent) → <see cref="FollowingHold"/> → Ended ok or failed.</summary>
public sealed partial class CommandEntity
{
    private const string HoldTag = "hold";
    private const string HoldTimer = "hold";
    private const string HoldCheckTag = "hold-check";

    private sealed record HoldTimeout;

    /// <param name="Legs">The legs this command changes: they get CALL_HOLD/CALL_UNHOLD and their hold state recorded.</param>
    private sealed record HoldTarget(string CallId, string Action, IReadOnlySet<string> Legs)
    {
        public bool Holding => Action == "hold";

        public string Code => Holding ? EventCodes.CallHold : EventCodes.CallUnhold;

        public string MiMethod => Holding ? "call_hold" : "call_unhold";
    }

    /// <summary>What a hold has heard so far.</summary>
    /// <param name="Affected">Legs whose final answer is awaited: the ones asked for, plus any OpenSIPS reports.</param>
    /// <param name="Finals">Each leg's final state ("ok"/"fail"); legs already reported count as ok when resumed.</param>
    /// <param name="MiAnswered">The call_hold reply is in (or, resumed, went to the previous incarnation).</param>
    /// <param name="Rechecked">The request was sent a second time after the final answers did not come.</param>
    private sealed record HoldProgress(
        HoldTarget Target,
        ImmutableHashSet<string> Affected,
        ImmutableDictionary<string, string> Finals,
        bool MiAnswered,
        bool Rechecked = false)
    {
        public bool IsDone => MiAnswered && Affected.All(Finals.ContainsKey);

        public IReadOnlyList<string> FailedLegs => Finals.Where(f => f.Value != "ok").Select(f => f.Key).Order().ToList();

        public string PendingLegs => string.Join(" and ", Affected.Where(l => !Finals.ContainsKey(l)).Order());
    }

    private void StartHold(string action)
    {
        var callId = Param("callid");
        var requestedLeg = Param("leg");
        BecomeAttaching(callId, DialogOperation.Hold, dialog =>
        {
            var resumed = _state.HasRequestedHold;
            RequireConfirmedUnless(resumed, dialog, () => SendHold(callId, requestedLeg, action, dialog, resumed));
        });
    }

    private void SendHold(string callId, string requestedLeg, string action, DialogView dialog, bool resumed)
    {
        var holding = action == "hold";
        var legs = requestedLeg.Length > 0 ? [requestedLeg] : new[] { "caller", "callee" };
        var affected = legs
            .Where(leg => dialog.Phase() == DialogPhase.Unknown || (leg == "caller" ? dialog.CallerHeld : dialog.CalleeHeld) != holding)
            .ToImmutableHashSet(StringComparer.Ordinal);
        // The legs that change: asked for and not already in the target state (a stale view: all asked for).
        var target = new HoldTarget(callId, action, affected.Count > 0 ? affected : legs.ToImmutableHashSet(StringComparer.Ordinal));
        if (resumed)
        {
            BecomeFollowingHold(target, affected, miAnswered: true);
            return;
        }

        PersistFact(new HoldRequested(), () =>
        {
            SendMi(new MiCall(target.MiMethod, HoldParams(callId), Tag: HoldTag));
            BecomeFollowingHold(target, affected, miAnswered: false);
        });
    }

    private List<KeyValuePair<string, object>> HoldParams(string callId)
    {
        List<KeyValuePair<string, object>> parameters = [new("callid", callId)];
        if (Param("leg").Length > 0)
        {
            parameters.Add(new("leg", Param("leg")));
        }

        return parameters;
    }

    private void BecomeFollowingHold(HoldTarget target, ImmutableHashSet<string> affected, bool miAnswered)
    {
        // Resumed: the legs already reported.
        var finals = _state.LegsReported(target.Code)
            .Distinct()
            .ToImmutableDictionary(leg => leg, _ => "ok", StringComparer.Ordinal);
        Timers.StartSingleTimer(HoldTimer, new HoldTimeout(), _settings.HoldTimeout);
        var progress = new HoldProgress(target, affected, finals, miAnswered);
        Become(() => FollowingHold(progress));
    }

    /// <summary>call_hold is out: its reply and each affected leg's E_CALL_HOLD final state, in any order.</summary>
    private void FollowingHold(HoldProgress progress)
    {
        var target = progress.Target;
        var (callId, action) = (target.CallId, target.Action);
        CommonHandlers();
        Command<MiSuccess>(r => Equals(r.Tag, HoldTag), _ => Advance(progress with { MiAnswered = true }));
        Command<MiFailure>(r => Equals(r.Tag, HoldTag), f => FailHold(HoldErrorCode(f), HoldErrorMessage(action, f)));
        Command<MiTimeout>(t => Equals(t.Tag, HoldTag), t => FailHold(ErrorCodes.ProxyUnavailable,
            $"the SIP proxy did not answer call_{action} within {t.After.TotalSeconds:0.#}s"));
        Command<MiOverloaded>(r => Equals(r.Tag, HoldTag), _ => FailHold(ErrorCodes.Overloaded, "too many requests in flight to the SIP proxy"));
        Command<DialogEventNotice>(n => n.Event is CallHoldEvent h && h.CallId == callId && h.Action == action, n =>
        {
            var e = (CallHoldEvent)n.Event;
            var next = progress;
            if (e.State == "start")
            {
                next = next with { Affected = next.Affected.Add(e.Leg) };
            }
            else if ((e.State == "ok" || e.State == "fail") && !next.Finals.ContainsKey(e.Leg))
            {
                next = next with { Affected = next.Affected.Add(e.Leg), Finals = next.Finals.Add(e.Leg, e.State) };
                if (e.State == "ok" && target.Legs.Contains(e.Leg))
                {
                    EmitEvent(target.Code, callId: callId, leg: e.Leg);
                }
            }

            Advance(next);
        });
        Command<DialogEventNotice>(n => n.Event is DialogStateChanged { NewState: (int)DialogPhase.Deleted } d && d.CallId == callId,
            _ => FailHold(ErrorCodes.CallUnknown, $"call {callId} ended during the {action}"));
        Command<DialogEventNotice>(_ => { });
        // The ok/fail events may have been lost (UDP, or raised while a node was leaving): ask the proxy to do it
        // again. A 480 ("both legs on hold" / "no legs on hold") proves the first request took effect.
        Command<HoldTimeout>(_ =>
        {
            if (progress.Rechecked)
            {
                FailHold(ErrorCodes.ProxyUnavailable, $"no final answer reported for the {action} re-INVITE of the " +
                    progress.PendingLegs + $" leg, twice within {_settings.HoldTimeout.TotalSeconds:0.#}s");
                return;
            }

            var rechecking = progress with { Rechecked = true };
            Become(() => FollowingHold(rechecking));
            SendMi(new MiCall(target.MiMethod, HoldParams(callId), Tag: HoldCheckTag));
        });
        Command<MiFailure>(r => Equals(r.Tag, HoldCheckTag) && r.Code == 480, _ =>
        {
            foreach (var leg in target.Legs.Where(l => !progress.Finals.ContainsKey(l)).Order())
            {
                EmitEvent(target.Code, callId: callId, leg: leg);
            }

            CompleteHold(target);
        });
        // OK: the first request had not taken effect and a new re-INVITE is out; wait for its events once more.
        Command<MiSuccess>(r => Equals(r.Tag, HoldCheckTag), _ =>
            Timers.StartSingleTimer(HoldTimer, new HoldTimeout(), _settings.HoldTimeout));
        Command<MiOutcome>(r => Equals(r.Tag, HoldCheckTag), o => FailHold(ErrorCodes.ProxyUnavailable,
            $"no final answer reported for the {action} re-INVITE of the " + progress.PendingLegs +
            $" leg within {_settings.HoldTimeout.TotalSeconds:0.#}s, and the proxy's answer to a second request was " + Describe(o)));
        Command<MiOutcome>(late => _log.Debug("Command {cmd_id}: late {mi_method} reply ignored", CmdId, late.Method));
    }

    /// <summary>Ends the command once the reply and every affected leg's final answer are in; else keeps following.</summary>
    private void Advance(HoldProgress progress)
    {
        if (!progress.IsDone)
        {
            Become(() => FollowingHold(progress));
            return;
        }

        Timers.Cancel(HoldTimer);
        var failed = progress.FailedLegs;
        if (failed.Count == 0)
        {
            CompleteHold(progress.Target);
        }
        else
        {
            EndFailed(ErrorCodes.ServerError, $"the {progress.Target.Action} re-INVITE of the {string.Join(" and ", failed)} leg failed");
        }
    }

    private void CompleteHold(HoldTarget target)
    {
        foreach (var leg in target.Legs)
        {
            _dialogRegion.Tell(new RecordHoldState(target.CallId, leg, target.Holding));
        }

        EndOk();
    }

    private void FailHold(int errorCode, string message)
    {
        Timers.Cancel(HoldTimer);
        EndFailed(errorCode, message);
    }

    private static int HoldErrorCode(MiFailure failure) => failure.Code switch
    {
        404 => ErrorCodes.CallUnknown,
        410 => ErrorCodes.CallBusy,
        _ => ErrorCodes.ServerError,
    };

    private string HoldErrorMessage(string action, MiFailure failure) => failure.Code switch
    {
        ErrorCodes.InvalidParams when Param("leg").Length > 0 =>
            $"this OpenSIPS cannot {action} a single leg (call_{action} takes no leg before OpenSIPS 4.0): {failure.Code} {failure.Data ?? failure.Message}",
        480 => $"nothing to {action}: {failure.Code} {failure.Message}",
        410 => $"the call is not ready for {action}: {failure.Code} {failure.Message}",
        _ => $"the SIP proxy refused call_{action}: {failure.Code} {failure.Message}",
    };
}
