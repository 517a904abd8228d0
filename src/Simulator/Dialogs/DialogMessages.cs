using Akka.Actor;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Dialogs;

/// <summary>The proxy's copy of a dialog, as dlg_list shows it. Published by the dialog actor on every change.</summary>
public sealed record DialogSnapshot(
    DialogId Id,
    int State,
    string CallId,
    string FromUri,
    string ToUri,
    string CallerTag,
    string CallerContact,
    string? CalleeTag,
    string CalleeContact,
    string CallerCseq,
    string CalleeCseq,
    string CallerSdp,
    string? CalleeSdp,
    long TimeStart,
    long CreatedTicks,
    long EndedTicks,
    int Transactions,
    IActorRef Actor);

/// <summary>What made the dialog, which decides who hears about its outcome.</summary>
public abstract record DialogOrigin;
/// <summary>A phone-placed call (sim_call / PlaceCallAsync). Waiter (may be null) gets CallConfirmed or CallFailed.</summary>
public sealed record PhoneOrigin(IActorRef? Waiter) : DialogOrigin;
/// <summary>A t_uac_dlg INVITE looped through the proxy: the MI reply goes out on the final response.</summary>
public sealed record UacOrigin(MiReplyTarget Reply, string CSeq, string FromValue, string ToValue) : DialogOrigin;
/// <summary>The transferee's new INVITE after a REFER: raises E_CALL_TRANSFER for A (and for B when attended). AActor gets the refer NOTIFY.</summary>
public sealed record TransferOrigin(string ACallId, string ALeg, string Destination, bool Blind, string? BCallId, string? BLeg, IActorRef? BActor, IActorRef AActor) : DialogOrigin;

/// <summary>Everything a new dialog actor needs. CalleePersona decides what the called phone does.</summary>
public sealed record DialogSpec(
    DialogId Id,
    string CallId,
    string FromUri,
    string ToUri,
    string FromTag,
    string CallerContact,
    string CallerSdp,
    string CalleeContact,
    Persona CalleePersona,
    bool CalleeRings,
    DialogOrigin Origin);

public sealed record CallConfirmed(string CallId);
public sealed record CallFailed(string CallId, string Status);

// Requests to a dialog actor.
/// <summary>dlg_end_dlg: BYE both legs (confirmed) or CANCEL (early).</summary>
public sealed record EndDialog(MiReplyTarget Reply);
/// <summary>A phone hangs up (sim_hangup, or the Replaces target ending dialog B).</summary>
public sealed record PhoneHangup(MiReplyTarget? Reply);
/// <summary>call_hold / call_unhold after the proxy checked leg and lookup. Leg: caller|callee|both.</summary>
public sealed record HoldCommand(bool Hold, string Leg, MiReplyTarget Reply);
/// <summary>A t_uac_dlg BYE that loops through the proxy on this dialog.</summary>
public sealed record UacBye(MiReplyTarget Reply, string Message);
/// <summary>
/// The transferee's final refer NOTIFY (sipfrag status line, e.g. "200 OK"), sent in dialog A. Only with ack-1xx-refer-notify on:
/// otherwise callops answered the early "100 Trying" NOTIFY 480 and the phone dropped the refer subscription.
/// </summary>
public sealed record ReferNotify(string TransferCallId, string Sipfrag);
