using Akka.Actor;
using CallCluster.Simulator.Evi;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Dialogs;

/// <summary>
/// One dialog as OpenSIPS's dialog module tracks it, together with the called phone's behaviour.
/// States (Become): Trying (1 unconfirmed / 2 early) → AnsweredNoAck (3) → Confirmed (4) → Ended (5).
/// Every transition raises E_DLG_STATE_CHANGED and publishes a snapshot to the proxy for dlg_list.
/// </summary>
public sealed class DialogActor : ActorBase, IWithTimers, IWithUnboundedStash
{
    private sealed record Ring;
    private sealed record Answer;
    private sealed record Reject(string Status);
    private sealed record TxTimeout;
    private sealed record Ack;
    private sealed record HoldDone(bool Hold);

    private readonly DialogSpec _spec;
    private readonly SimulatorOptions _options;
    private readonly IActorRef _bus;
    private readonly IActorRef _proxy;
    private readonly MiReplier _replier;
    private readonly string _proxyHostPort;
    private readonly string _proxyRoute;

    private int _state = 1;
    private string? _calleeTag;
    private string? _calleeSdp;
    private long _timeStart;
    private long _endedTicks;
    private bool _callerHeld;
    private bool _calleeHeld;
    // A hold/unhold re-INVITE is out (counted as an open transaction by sim_stats).
    private bool _holdPending;
    private readonly string _callerCseq;
    private readonly string _calleeCseq;
    private readonly long _createdTicks = Environment.TickCount64;
    // Formatted once: every state change carries them.
    private readonly string _idText;
    private readonly string _dbIdText;

    public ITimerScheduler Timers { get; set; } = null!;

    public DialogActor(DialogSpec spec, SimulatorOptions options, IActorRef bus, IActorRef proxy, MiReplier replier, string proxyHostPort)
    {
        _spec = spec;
        _options = options;
        _bus = bus;
        _proxy = proxy;
        _replier = replier;
        _proxyHostPort = proxyHostPort;
        _proxyRoute = $"sip:{proxyHostPort.Replace(":5060", "", StringComparison.Ordinal)};lr;did={spec.Id}";
        _callerCseq = spec.Origin is UacOrigin u ? u.CSeq.Split(' ')[0] : Random.Shared.Next(1, 65000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _calleeCseq = _spec.Origin is UacOrigin ? Random.Shared.Next(1, 65000).ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";
        _idText = spec.Id.ToString();
        _dbIdText = spec.Id.DbIdText;
    }

    /// <summary>
    /// A producer instead of Props.Create(() => new …): one dialog actor per call, and the expression form costs reflection
    /// and run-time compilation on every spawn (it showed up as steady JIT time in the click-to-dial benchmark).
    /// </summary>
    public static Props Props(DialogSpec spec, SimulatorOptions options, IActorRef bus, IActorRef proxy, MiReplier replier, string proxyHostPort) =>
        Akka.Actor.Props.CreateBy(new Producer(spec, options, bus, proxy, replier, proxyHostPort));

    private sealed class Producer(DialogSpec spec, SimulatorOptions options, IActorRef bus, IActorRef proxy, MiReplier replier, string proxyHostPort)
        : IIndirectActorProducer
    {
        public Type ActorType => typeof(DialogActor);
        public ActorBase Produce() => new DialogActor(spec, options, bus, proxy, replier, proxyHostPort);
        public void Release(ActorBase actor) { }
    }

    protected override void PreStart()
    {
        if (_spec.Origin is TransferOrigin t) RaiseTransferStart(t);
        switch (_spec.CalleePersona)
        {
            case Persona.Nobody:
                // No such user: the proxy answers. callops reports a timeout for such a transfer (capture d20).
                Self.Tell(new Reject(_spec.Origin is TransferOrigin ? "408 Request Timeout" : "404 Not Found"));
                break;
            case Persona.Busy:
                _calleeTag = SipIds.PhoneToken();
                Timers.StartSingleTimer("answer", new Reject("486 Busy Here"), _options.AnswerDelay);
                break;
            case Persona.Reject:
                _calleeTag = SipIds.PhoneToken();
                Timers.StartSingleTimer("answer", new Reject("603 Decline"), _options.AnswerDelay);
                break;
            case Persona.Dnd:
                _calleeTag = SipIds.PhoneToken();
                Timers.StartSingleTimer("answer", new Reject("480 Temporarily Unavailable"), _options.AnswerDelay);
                break;
            case Persona.NoAnswer:
                StartRinging();
                Timers.StartSingleTimer("tx", new TxTimeout(), _options.TransactionTimeout);
                break;
            case Persona.Slow:
                StartRinging();
                Timers.StartSingleTimer("answer", new Answer(), _options.SlowAnswerDelay);
                Timers.StartSingleTimer("tx", new TxTimeout(), _options.TransactionTimeout + _options.SlowAnswerDelay);
                break;
            default:
                if (_spec.CalleeRings) StartRinging();
                Timers.StartSingleTimer("answer", new Answer(), _options.AnswerDelay);
                break;
        }
        Publish();
    }

    private void StartRinging()
    {
        // After a transfer start, let the replaced dialog's BYE (attended) be reported first, as in the captures.
        if (_spec.Origin is TransferOrigin) Timers.StartSingleTimer("ring", new Ring(), _options.InDialogDelay);
        else Self.Tell(new Ring());
    }

    // Behaviours are plain methods (ActorBase.Become(Receive)) rather than ReceiveActor registrations: a ReceiveActor
    // rebuilds its handler tables on every Become, which was about a quarter of all allocations in the click-to-dial benchmark.
    protected override bool Receive(object message) => Trying(message);

    // ---- state 1/2: INVITE sent, maybe ringing ----
    private bool Trying(object message)
    {
        switch (message)
        {
            case Ring:
                if (_state != 1) return true;
                _calleeTag ??= SipIds.PhoneToken();
                ChangeState(2);
                return true;
            case Answer:
                _calleeTag ??= SipIds.PhoneToken();
                _calleeSdp = SipIds.PhoneSdp(SipUri.Parse(_spec.CalleeContact)?.Host ?? "127.0.0.1", _spec.CalleeContact.Length);
                _timeStart = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                Timers.Cancel("tx");
                ChangeState(3);
                OnAnswered();
                Become(AnsweredNoAck);
                Self.Tell(new Ack());
                return true;
            case Reject r:
                Fail(r.Status, timeout: false);
                return true;
            case TxTimeout:
                Fail("408 Request Timeout", timeout: true);
                return true;
            case EndDialog e:
                // Not answered yet: OpenSIPS CANCELs the INVITE.
                _replier.Reply(e.Reply, MiResult.OkString);
                Fail("487 Request Terminated", timeout: false);
                return true;
            case PhoneHangup h:
                if (h.Reply is not null) _replier.Reply(h.Reply, MiResult.OkString);
                Fail("487 Request Terminated", timeout: false);
                return true;
            case HoldCommand h:
                _replier.Reply(h.Reply, MiResult.Error(410, "Dialog not ready"));
                return true;
            case UacBye b:
                _replier.Reply(b.Reply, UacResults.Final("481 Call/Transaction Does Not Exist", null));
                return true;
            default:
                return false;
        }
    }

    // ---- state 3: 2xx relayed, ACK on its way ----
    private bool AnsweredNoAck(object message)
    {
        switch (message)
        {
            case Ack:
                ChangeState(4);
                if (_spec.Origin is PhoneOrigin { Waiter: { } w }) w.Tell(new CallConfirmed(_spec.CallId));
                // The transferee's final refer NOTIFY follows its ACK (capture e_notify_variant_ack1xx: notify after 3→4).
                if (_spec.Origin is TransferOrigin t && _options.Ack1xxReferNotify) t.AActor.Tell(new ReferNotify(_spec.CallId, "200 OK"));
                Become(Confirmed);
                Stash.UnstashAll();
                return true;
            case EndDialog e:
                _replier.Reply(e.Reply, MiResult.OkString);
                End();
                return true;
            case HoldCommand h:
                _replier.Reply(h.Reply, MiResult.Error(410, "Dialog not ready"));
                return true;
            case PhoneHangup or UacBye:
                // A BYE cannot overtake the ACK: handled once confirmed.
                Stash.Stash();
                return true;
            default:
                return false;
        }
    }

    // ---- state 4: confirmed ----
    private bool Confirmed(object message)
    {
        switch (message)
        {
            case EndDialog e:
                _replier.Reply(e.Reply, MiResult.OkString);
                End();
                return true;
            case PhoneHangup h:
                if (h.Reply is not null) _replier.Reply(h.Reply, MiResult.OkString);
                End();
                return true;
            case UacBye b:
                _replier.Reply(b.Reply, UacResults.Final("200 OK", b.Message));
                End();
                return true;
            case HoldCommand h:
                OnHold(h);
                return true;
            case ReferNotify n:
                _bus.Tell(TransferNotify(n));
                return true;
            case HoldDone d:
                _holdPending = false;
                Publish();
                // Both legs answer their re-INVITE; callops reports the callee first (captures c2, c4, c6, c7).
                RaiseHold("callee", d.Hold, "ok");
                RaiseHold("caller", d.Hold, "ok");
                return true;
            default:
                return false;
        }
    }

    // ---- state 5: ended, kept for dlg_list until the proxy purges it ----
    private bool Ended(object message)
    {
        switch (message)
        {
            case EndDialog e:
                _replier.Reply(e.Reply, MiResult.Error(404, "Requested Dialog not found"));
                break;
            case HoldCommand h:
                _replier.Reply(h.Reply, MiResult.Error(404, "Dialog not found"));
                break;
            case PhoneHangup { Reply: { } r }:
                _replier.Reply(r, MiResult.Error(404, "Dialog not found"));
                break;
            case UacBye b:
                _replier.Reply(b.Reply, UacResults.Final("481 Call/Transaction Does Not Exist", null));
                break;
        }
        // Anything else (late timers, a NOTIFY for a finished transfer) is dropped, as by an ended dialog.
        return true;
    }

    public IStash Stash { get; set; } = null!;

    private void OnHold(HoldCommand h)
    {
        (bool caller, bool callee) targets = h.Leg switch { "caller" => (true, false), "callee" => (false, true), _ => (true, true) };
        if (h.Hold)
        {
            if ((!targets.caller || _callerHeld) && (!targets.callee || _calleeHeld))
            {
                _replier.Reply(h.Reply, MiResult.Error(480, "Both dialog legs are on hold"));
                return;
            }
            if (targets.caller) _callerHeld = true;
            if (targets.callee) _calleeHeld = true;
            // 4.0 re-INVITEs both legs (the other one gets sendonly/recvonly); start is raised inside the MI call.
            RaiseHold("caller", true, "start");
            RaiseHold("callee", true, "start");
        }
        else
        {
            var any = (targets.caller && _callerHeld) || (targets.callee && _calleeHeld);
            if (!any)
            {
                _replier.Reply(h.Reply, MiResult.Error(480, "No dialog legs on hold"));
                return;
            }
            if (targets.caller) _callerHeld = false;
            if (targets.callee) _calleeHeld = false;
            RaiseHold("callee", false, "start");
            RaiseHold("caller", false, "start");
        }
        _replier.Reply(h.Reply, MiResult.OkString);
        _holdPending = true;
        Publish();
        Timers.StartSingleTimer("hold", new HoldDone(h.Hold), _options.InDialogDelay);
    }

    private void OnAnswered()
    {
        switch (_spec.Origin)
        {
            case TransferOrigin t:
                if (t.BCallId is not null) RaiseTransfer(t.BCallId, t.BLeg!, t, "ok", "200 Answering", _spec.ToUri);
                RaiseTransfer(t.ACallId, t.ALeg, t, "ok", "200 Answering", SipUri.WithoutOsid(_spec.ToUri));
                break;
            case UacOrigin u:
                var message = SipMessages.Reply(_proxyHostPort, $"<{_proxyRoute}>", u.ToValue, _calleeTag, u.FromValue, _spec.FromTag,
                    _spec.CallId, u.CSeq, SipMessages.PhoneServer, _spec.CalleeContact, _calleeSdp);
                _replier.Reply(u.Reply, UacResults.Dialog("200 Answering", _spec.CalleeContact, _proxyRoute, message));
                break;
        }
    }

    private void Fail(string status, bool timeout)
    {
        if (!timeout && status.StartsWith("404", StringComparison.Ordinal)) _calleeTag = null;
        if (timeout) _calleeTag = _state == 2 ? _calleeTag : null;
        Timers.CancelAll();
        ChangeState(5);
        switch (_spec.Origin)
        {
            case TransferOrigin t:
                // On a local timeout callops reports the R-URI it sent, osid included (capture d20); on a real reply, without (d25).
                var dest = timeout || status.StartsWith("408", StringComparison.Ordinal) ? _spec.ToUri : SipUri.WithoutOsid(_spec.ToUri);
                if (t.BCallId is not null) RaiseTransfer(t.BCallId, t.BLeg!, t, "fail", status, dest);
                RaiseTransfer(t.ACallId, t.ALeg, t, "fail", status, dest);
                // The final NOTIFY carries the failure (not captured live: the sipfrag is assumed to be callops's status).
                if (_options.Ack1xxReferNotify) t.AActor.Tell(new ReferNotify(_spec.CallId, status));
                break;
            case UacOrigin u:
                if (timeout) _replier.Reply(u.Reply, UacResults.Timeout);
                else
                {
                    var proxyAnswers = status.StartsWith("404", StringComparison.Ordinal);
                    var tag = proxyAnswers ? SipIds.Hex(4) + "-" + SipIds.Hex(32) : _calleeTag;
                    var message = SipMessages.Reply(_proxyHostPort, null, u.ToValue, tag, u.FromValue, _spec.FromTag, _spec.CallId, u.CSeq,
                        proxyAnswers ? SipMessages.OpenSipsServer : SipMessages.PhoneServer, null, null);
                    _replier.Reply(u.Reply, UacResults.Final(status, message));
                }
                break;
            case PhoneOrigin { Waiter: { } w }:
                w.Tell(new CallFailed(_spec.CallId, status));
                break;
        }
        Become(Ended);
    }

    private void End()
    {
        Timers.CancelAll();
        ChangeState(5);
        Become(Ended);
    }

    private void ChangeState(int newState)
    {
        var old = _state;
        _state = newState;
        if (newState == 5) _endedTicks = Environment.TickCount64;
        _bus.Tell(new RaiseEvent(EventCatalog.DlgStateChanged,
        [
            new("id", _idText),
            new("db_id", _dbIdText),
            new("callid", _spec.CallId),
            new("from_tag", _spec.FromTag),
            new("to_tag", _calleeTag),
            new("old_state", old),
            new("new_state", newState),
        ]));
        Publish();
    }

    private void RaiseTransferStart(TransferOrigin t)
    {
        // Blind start carries the new Call-ID in "leg": a real callops 4.0.1 bug, reproduced on purpose (captures b2, c9, d20).
        var aLeg = t.Blind ? _spec.CallId : t.ALeg;
        _bus.Tell(TransferEvent(t.ACallId, aLeg, "start", "", SipUri.WithoutOsid(_spec.ToUri)));
        if (t.BCallId is not null)
        {
            _bus.Tell(TransferEvent(t.BCallId, t.BLeg!, "start", "", SipUri.WithoutOsid(_spec.ToUri)));
            // The Replaces target drops the replaced dialog B as soon as the new INVITE arrives.
            t.BActor?.Tell(new PhoneHangup(null));
        }
    }

    private void RaiseTransfer(string callId, string leg, TransferOrigin t, string state, string status, string destination) =>
        _bus.Tell(TransferEvent(callId, leg, state, status, t.Blind ? destination : SipUri.WithoutOsid(destination)));

    private RaiseEvent TransferEvent(string callId, string leg, string state, string status, string destination) =>
        new(EventCatalog.CallTransfer,
        [
            new("callid", callId),
            new("leg", leg),
            new("transfer_callid", _spec.CallId),
            new("destination", destination),
            new("state", state),
            new("status", status),
        ]);

    /// <summary>
    /// callops's "notify" for a refer NOTIFY in this dialog (A). After the transfer finished its leg marker is "" and the
    /// destination is not known to the NOTIFY handler: both empty, as captured. An ended A drops the NOTIFY (Ended ignores it).
    /// </summary>
    private RaiseEvent TransferNotify(ReferNotify n) =>
        new(EventCatalog.CallTransfer,
        [
            new("callid", _spec.CallId),
            new("leg", ""),
            new("transfer_callid", n.TransferCallId),
            new("destination", ""),
            new("state", "notify"),
            new("status", n.Sipfrag),
        ]);

    private void RaiseHold(string leg, bool hold, string state) =>
        _bus.Tell(new RaiseEvent(EventCatalog.CallHold,
        [
            new("callid", _spec.CallId),
            new("leg", leg),
            new("action", hold ? "hold" : "unhold"),
            new("state", state),
        ]));

    private void Publish() => _proxy.Tell(new DialogSnapshot(
        _spec.Id, _state, _spec.CallId, _spec.FromUri, _spec.ToUri, _spec.FromTag, _spec.CallerContact, _calleeTag,
        _timeStart > 0 ? _spec.CalleeContact : "", // a phone that never answered left no contact (capture d25)
        _callerCseq, _calleeCseq,
        _spec.CallerSdp, _calleeSdp, _timeStart, _createdTicks, _endedTicks, OpenTransactions, Self));

    /// <summary>The INVITE transaction until the ACK, plus a hold re-INVITE in progress; none once ended.</summary>
    private int OpenTransactions => _state == 5 ? 0 : (_state < 4 ? 1 : 0) + (_holdPending ? 1 : 0);
}
