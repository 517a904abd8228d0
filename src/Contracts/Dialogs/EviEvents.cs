namespace CallCluster.Contracts.Dialogs;

/// <summary>An OpenSIPS EVI event about one dialog, routed to that dialog's entity by Call-ID.
/// The union keys let MessagePack carry the concrete event inside <see cref="Commands.DialogEventNotice"/>.</summary>
[MessagePack.Union(0, typeof(DialogStateChanged))]
[MessagePack.Union(1, typeof(CallTransferEvent))]
[MessagePack.Union(2, typeof(CallHoldEvent))]
public interface IEviEvent : IDialogMessage;

/// <summary>E_DLG_STATE_CHANGED (docs/opensips.md §6). States: 1 unconfirmed, 2 early,
/// 3 confirmed-not-acked, 4 confirmed, 5 deleted. Tags are null when OpenSIPS sent null or omitted them.</summary>
public sealed record DialogStateChanged(
    string CallId,
    string DialogId,
    string? DbId,
    string? FromTag,
    string? ToTag,
    int OldState,
    int NewState) : IEviEvent;

/// <summary>E_CALL_TRANSFER (docs/opensips.md §7). State is start|notify|ok|fail; in a blind <c>start</c> the
/// <paramref name="Leg"/> wrongly holds the new Call-ID (an OpenSIPS bug).</summary>
public sealed record CallTransferEvent(
    string CallId,
    string? Leg,
    string? TransferCallId,
    string? Destination,
    string State,
    string? Status) : IEviEvent;

/// <summary>E_CALL_HOLD (docs/opensips.md §8): leg caller|callee, action hold|unhold, state start|ok|fail.</summary>
public sealed record CallHoldEvent(
    string CallId,
    string Leg,
    string Action,
    string State) : IEviEvent;
