using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>CallHold {callid, leg?} (and, with action "unhold", CallUnHold): callops re-INVITEs each affected leg
/// (§3.3, §4.2). Without <c>leg</c> both legs are meant and the request carries no leg, which 3.x and 4.0 both
/// accept; with a leg, a 3.x proxy refuses and the command says so. E_CALL_HOLD start per leg may arrive before the
/// MI reply; then ok/fail per leg. CALL_HOLD (or CALL_UNHOLD) is sent for each leg the proxy reports ok; the command
/// ends when the MI reply and a final state for every affected leg are in — never by counting on a fixed number.
/// A leg counts as affected when asked for and not already in the target state, or when OpenSIPS reports its start:
/// a 4.0 hold of one leg re-INVITEs both (that leg sendonly, the other recvonly), but only the asked-for leg is held,
/// so only it gets CALL_HOLD, and the dialog is told which legs are now held.</summary>
public sealed partial class CommandEntity
{
    private const string HoldSentStep = "hold-sent";
    private const string HoldTag = "hold";
    private const string HoldTimer = "hold";
    private const string HoldCheckTag = "hold-check";

    private sealed record HoldTimeout;

    /// <param name="Legs">The legs this command changes: they get CALL_HOLD/CALL_UNHOLD and their hold state recorded.</param>
    private sealed record HoldTarget(string CallId, string Action, IReadOnlySet<string> Legs);

    private void StartHold(string action)
    {
        var callId = Param("callid");
        var requestedLeg = Param("leg");
        BecomeAttaching(callId, DialogOperation.Hold, dialog =>
        {
            var resumed = _steps.ContainsKey(HoldSentStep);
            RequireConfirmedUnless(resumed, dialog, () => SendHold(callId, requestedLeg, action, dialog, resumed));
        });
    }

    private void SendHold(string callId, string requestedLeg, string action, DialogView dialog, bool resumed)
    {
        var holding = action == "hold";
        var legs = requestedLeg.Length > 0 ? [requestedLeg] : new[] { "caller", "callee" };
        var affected = new HashSet<string>(
            legs.Where(leg => dialog.Phase() == DialogPhase.Unknown || (leg == "caller" ? dialog.CallerHeld : dialog.CalleeHeld) != holding),
            StringComparer.Ordinal);
        // The legs that change: asked for and not already in the target state (a stale view: all asked for).
        var target = new HoldTarget(callId, action, affected.Count > 0 ? affected.ToHashSet(StringComparer.Ordinal) : legs.ToHashSet(StringComparer.Ordinal));
        if (resumed)
        {
            FollowHold(target, affected, miAnswered: true);
            return;
        }

        RecordStep(HoldSentStep, null, () =>
        {
            List<KeyValuePair<string, object>> parameters = [new("callid", callId)];
            if (requestedLeg.Length > 0)
            {
                parameters.Add(new("leg", requestedLeg));
            }

            _miPool.Tell(new MiCall(holding ? "call_hold" : "call_unhold", parameters, Tag: HoldTag));
            FollowHold(target, affected, miAnswered: false);
        });
    }

    private void FollowHold(HoldTarget target, HashSet<string> affected, bool miAnswered)
    {
        var (callId, action) = (target.CallId, target.Action);
        var code = action == "hold" ? EventCodes.CallHold : EventCodes.CallUnhold;
        var finals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var done in _notifications.Where(n => n.Data == code && n.Leg is not null))
        {
            finals[done.Leg!] = "ok"; // resumed: legs already reported
        }

        Timers.StartSingleTimer(HoldTimer, new HoldTimeout(), _settings.HoldTimeout);
        var rechecked = false;

        void CompleteIfDone()
        {
            if (!miAnswered || affected.Any(leg => !finals.ContainsKey(leg)))
            {
                return;
            }

            Timers.Cancel(HoldTimer);
            var failed = finals.Where(f => f.Value != "ok").Select(f => f.Key).OrderBy(l => l).ToList();
            if (failed.Count == 0)
            {
                foreach (var leg in target.Legs)
                {
                    _dialogRegion.Tell(new RecordHoldState(callId, leg, action == "hold"));
                }

                EndOk();
            }
            else
            {
                EndFailed(ErrorCodes.ServerError, $"the {action} re-INVITE of the {string.Join(" and ", failed)} leg failed");
            }
        }

        void Fail(int errorCode, string message)
        {
            Timers.Cancel(HoldTimer);
            EndFailed(errorCode, message);
        }

        Become(() =>
        {
            CommonHandlers();
            Command<MiSuccess>(r => Equals(r.Tag, HoldTag), _ =>
            {
                miAnswered = true;
                CompleteIfDone();
            });
            Command<MiFailure>(r => Equals(r.Tag, HoldTag), f => Fail(HoldErrorCode(f), HoldErrorMessage(action, f)));
            Command<MiTimeout>(t => Equals(t.Tag, HoldTag), t => Fail(ErrorCodes.ProxyUnavailable,
                $"the SIP proxy did not answer call_{action} within {t.After.TotalSeconds:0.#}s"));
            Command<MiOverloaded>(r => Equals(r.Tag, HoldTag), _ => Fail(ErrorCodes.Overloaded, "too many requests in flight to the SIP proxy"));
            Command<DialogEventNotice>(n => n.Event is CallHoldEvent h && h.CallId == callId && h.Action == action, n =>
            {
                var e = (CallHoldEvent)n.Event;
                if (e.State == "start")
                {
                    affected.Add(e.Leg);
                }
                else if ((e.State == "ok" || e.State == "fail") && finals.TryAdd(e.Leg, e.State))
                {
                    affected.Add(e.Leg);
                    if (e.State == "ok" && target.Legs.Contains(e.Leg))
                    {
                        EmitEvent(code, callId: callId, leg: e.Leg);
                    }
                }

                CompleteIfDone();
            });
            Command<DialogEventNotice>(n => n.Event is DialogStateChanged { NewState: (int)DialogPhase.Deleted } d && d.CallId == callId,
                _ => Fail(ErrorCodes.CallUnknown, $"call {callId} ended during the {action}"));
            Command<DialogEventNotice>(_ => { });
            // The ok/fail events may have been lost (UDP, or raised while a node was leaving): ask the proxy to do it
            // again. A 480 ("both legs on hold" / "no legs on hold") proves the first request took effect.
            Command<HoldTimeout>(_ =>
            {
                if (rechecked)
                {
                    Fail(ErrorCodes.ProxyUnavailable, $"no final answer reported for the {action} re-INVITE of the " +
                        string.Join(" and ", affected.Where(l => !finals.ContainsKey(l)).OrderBy(l => l)) +
                        $" leg, twice within {_settings.HoldTimeout.TotalSeconds:0.#}s");
                    return;
                }

                rechecked = true;
                var parameters = new List<KeyValuePair<string, object>> { new("callid", callId) };
                if (Param("leg").Length > 0)
                {
                    parameters.Add(new("leg", Param("leg")));
                }

                _miPool.Tell(new MiCall(action == "hold" ? "call_hold" : "call_unhold", parameters, Tag: HoldCheckTag));
            });
            Command<MiFailure>(r => Equals(r.Tag, HoldCheckTag) && r.Code == 480, _ =>
            {
                foreach (var leg in target.Legs.Where(l => !finals.ContainsKey(l)).Order())
                {
                    EmitEvent(code, callId: callId, leg: leg);
                }

                foreach (var leg in target.Legs)
                {
                    _dialogRegion.Tell(new RecordHoldState(callId, leg, action == "hold"));
                }

                EndOk();
            });
            // OK: the first request had not taken effect and a new re-INVITE is out; wait for its events once more.
            Command<MiSuccess>(r => Equals(r.Tag, HoldCheckTag), _ =>
                Timers.StartSingleTimer(HoldTimer, new HoldTimeout(), _settings.HoldTimeout));
            Command<MiOutcome>(r => Equals(r.Tag, HoldCheckTag), o => Fail(ErrorCodes.ProxyUnavailable,
                $"no final answer reported for the {action} re-INVITE of the " +
                string.Join(" and ", affected.Where(l => !finals.ContainsKey(l)).OrderBy(l => l)) +
                $" leg within {_settings.HoldTimeout.TotalSeconds:0.#}s, and the proxy's answer to a second request was " + Describe(o)));
            Command<MiOutcome>(late => _log.Debug("Command {0}: late {1} reply ignored", CmdId, late.Method));
        });
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
