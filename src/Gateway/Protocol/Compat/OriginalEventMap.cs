using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Protocol.Compat;

/// <summary>Native notifications (event codes, Ended ok/failed) as the original Call API's events, per command; the
/// table is docs/compat-dialect.md. Pure: the same notifications in the same order give the same events, so an
/// idempotent repeat (which replays from seq 1) renders exactly what the first request rendered.</summary>
public static class OriginalEventMap
{
    public static (IReadOnlyList<OriginalEvent> Events, OriginalCommandMemory Memory) Map(CommandNotification n, OriginalCommandMemory m)
    {
        if (n.Kind == NotificationKind.Ended)
        {
            return (Ended(n, m), m);
        }

        return m.NativeMethod switch
        {
            CommandMethods.CallStart => CallStart(n, m),
            CommandMethods.CallBlindTransfer or CommandMethods.CallAttendedTransfer => Transfer(n, m),
            CommandMethods.CallHold or CommandMethods.CallUnHold => Hold(n, m),
            // CallEnd: the original sends no event before Ended; CALL_END has no counterpart.
            _ => ([], m),
        };
    }

    /// <summary>Ended ok → Ended (a transfer first reports TransferSuccessful, which the native protocol folds into
    /// Ended ok); failed → Error with the reason as data, then Ended, as the original does on every error.</summary>
    private static IReadOnlyList<OriginalEvent> Ended(CommandNotification n, OriginalCommandMemory m)
    {
        if (n.Status == CommandNotification.StatusFailed)
        {
            return [OriginalEvent.Failed(n.Error?.Message ?? "the command failed"), OriginalEvent.End];
        }

        return m.NativeMethod is CommandMethods.CallBlindTransfer or CommandMethods.CallAttendedTransfer
            ? [TransferEvent("TransferSuccessful", m, extra: null), OriginalEvent.End]
            : [OriginalEvent.End];
    }

    private static (IReadOnlyList<OriginalEvent>, OriginalCommandMemory) CallStart(CommandNotification n, OriginalCommandMemory m)
    {
        var caller = m.Param("caller");
        var callee = m.Param("callee");
        switch (n.Data)
        {
            case EventCodes.CallAnswer when n.Leg == "callee":
                return ([OriginalEvent.WithFields("CalleeAnswered", ("callid", n.CallId ?? m.NewCallId), ("caller", caller), ("callee", callee))], m);
            case EventCodes.CallAnswer:
                return ([OriginalEvent.WithFields("CallerAnswered", ("caller", caller), ("callee", callee))], m);
            case EventCodes.TransferAccept:
                return ([OriginalEvent.WithFields("Transferring", ("caller", caller), ("destination", callee))], m);
            case EventCodes.CallStart:
                var started = m with { NewCallId = n.CallId };
                return ([OriginalEvent.WithFields("TransferStart", ("callid", n.CallId), ("caller", caller), ("callee", callee))], started);
            case EventCodes.TransferProgress:
                return ([OriginalEvent.WithFields("TransferPending", ("callid", n.CallId ?? m.NewCallId), ("caller", caller),
                    ("callee", callee), ("extra", NullIfEmpty(n.SipStatus)))], m);
            default:
                return ([], m);
        }
    }

    private static (IReadOnlyList<OriginalEvent>, OriginalCommandMemory) Transfer(CommandNotification n, OriginalCommandMemory m)
    {
        switch (n.Data)
        {
            case EventCodes.TransferAccept:
                // The attended Transferring of the original has no data; the blind one names the destination.
                return m.NativeMethod == CommandMethods.CallBlindTransfer
                    ? ([OriginalEvent.WithFields("Transferring", ("destination", m.Param("destination")))], m)
                    : ([new OriginalEvent("Transferring")], m);
            case EventCodes.CallStart:
                var started = m with { NewCallId = n.CallId, Destination = n.Destination ?? m.Destination };
                return ([TransferEvent("TransferStart", started, extra: null)], started);
            case EventCodes.TransferProgress:
                return ([TransferEvent("TransferPending", m, NullIfEmpty(n.SipStatus))], m);
            default:
                return ([], m);
        }
    }

    /// <summary>{callid, destination, extra?}; the blind destination falls back to the requested one (the original
    /// does the same until the proxy's start event names it), the attended one is left out when unknown.</summary>
    private static OriginalEvent TransferEvent(string name, OriginalCommandMemory m, string? extra)
    {
        var destination = m.Destination ?? (m.NativeMethod == CommandMethods.CallBlindTransfer ? m.Param("destination") : null);
        return OriginalEvent.WithFields(name, ("callid", m.NewCallId), ("destination", destination), ("extra", extra));
    }

    /// <summary>The native CALL_HOLD/CALL_UNHOLD says a leg is done; the original tells CallHolding once (its MI
    /// reply), then per leg ...Start and ...Successful. Both are sent when the leg is done: CallCluster reports a
    /// leg when its re-INVITE succeeded, not when it left.</summary>
    private static (IReadOnlyList<OriginalEvent>, OriginalCommandMemory) Hold(CommandNotification n, OriginalCommandMemory m)
    {
        var prefix = m.NativeMethod == CommandMethods.CallHold ? "CallHold" : "CallUnhold";
        var expected = m.NativeMethod == CommandMethods.CallHold ? EventCodes.CallHold : EventCodes.CallUnhold;
        if (n.Data != expected)
        {
            return ([], m);
        }

        var events = new List<OriginalEvent>(3);
        if (!m.Announced)
        {
            events.Add(new OriginalEvent(m.NativeMethod == CommandMethods.CallHold ? "CallHolding" : "CallUnholding"));
        }

        events.Add(OriginalEvent.WithFields(prefix + "Start", ("leg", n.Leg)));
        events.Add(OriginalEvent.WithFields(prefix + "Successful", ("leg", n.Leg)));
        return (events, m with { Announced = true });
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
