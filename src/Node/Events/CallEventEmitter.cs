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

    /// <summary>The last held/resumed and whether a transfer was reported: an application should hear a change once,
    /// and OpenSIPS raises more than one event per change: a 4.0 hold of one leg re-INVITEs both legs and reports each
    /// (docs/opensips.md §8), and events come twice at times (different workers). So hold is tracked per call.</summary>
    private string? _hold;
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
            case CallEventNames.Held or CallEventNames.Resumed:
                if (_hold == emission.Name || (_hold is null && emission.Name == CallEventNames.Resumed)) return true;
                _hold = emission.Name;
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
