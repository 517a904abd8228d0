using Akka.Actor;
using CallCluster.Contracts.Events;
using CallCluster.Node.Dialogs;

namespace CallCluster.Node.Events;

/// <summary>The call-event side of one dialog entity: numbers its events (the per-call seq), fills in the parties and
/// the time, and hands them to the node's <see cref="CallEventLog"/>. Allocated by the entity on its first state event,
/// only when events are enabled (a node tracks up to 100,000 dialogs).
///
/// E_DLG_STATE_CHANGED does not name the parties, and a call no command started (a phone dialled another) has no
/// <see cref="DialogState.Caller"/>: the entity then asks the proxy once (<c>dlg_list</c>, its from_uri and to_uri).
/// Events emitted meanwhile wait here, in order, and go out when the answer (or its failure) comes.</summary>
public sealed class CallEventEmitter
{
    private long _seq;
    private string? _from;
    private string? _to;
    private List<CallEventRecorded>? _waiting;

    /// <summary>The last held/resumed per leg and whether a transfer was reported: OpenSIPS raises hold and transfer
    /// events twice at times (different workers), and an application should hear a change once.</summary>
    private string? _callerHold;
    private string? _calleeHold;
    private bool _transferred;

    /// <summary>The furthest of ringing (Early), answered (ConfirmedNotAcked) and ended (Deleted) emitted so far.</summary>
    public DialogPhase Emitted { get; set; }

    /// <summary>The parties are being asked of the proxy: events wait.</summary>
    public bool LookingUp => _waiting is not null;

    /// <summary>True once, when the parties are unknown and nobody asked yet; the caller then asks the proxy and calls
    /// <see cref="OnParties"/> with whatever comes back.</summary>
    public bool StartLookup(DialogState state)
    {
        if (LookingUp || _from is not null || state.Caller is not null)
        {
            return false;
        }

        _waiting = [];
        return true;
    }

    public void Emit(CallEventRules.Emission emission, DialogState state, IActorRef log)
    {
        if (IsRepeat(emission))
        {
            return;
        }

        var e = new CallEventRecorded(emission.Name, state.CallId, ++_seq, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            _from ?? state.Caller, _to ?? state.Callee, emission.CmdId, emission.Reason, emission.Leg, emission.Destination,
            emission.TransferCallId);
        if (_waiting is not null)
        {
            _waiting.Add(e);
        }
        else
        {
            log.Tell(e);
        }
    }

    private bool IsRepeat(CallEventRules.Emission emission)
    {
        switch (emission.Name)
        {
            case CallEventNames.Held or CallEventNames.Resumed when emission.Leg == "callee":
                if (_calleeHold == emission.Name) return true;
                _calleeHold = emission.Name;
                return false;
            case CallEventNames.Held or CallEventNames.Resumed:
                if (_callerHold == emission.Name) return true;
                _callerHold = emission.Name;
                return false;
            case CallEventNames.Transferred:
                if (_transferred) return true;
                _transferred = true;
                return false;
            default:
                return false;
        }
    }

    /// <summary>The proxy's answer (null parties: it did not say); the waiting events go out with them.</summary>
    public void OnParties(string? from, string? to, IActorRef log)
    {
        _from ??= from;
        _to ??= to;
        var waiting = _waiting ?? [];
        _waiting = null;
        foreach (var e in waiting)
        {
            log.Tell(e with { From = e.From ?? _from, To = e.To ?? _to });
        }
    }
}
