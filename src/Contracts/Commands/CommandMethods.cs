namespace CallCluster.Contracts.Commands;

/// <summary>The client protocol's method names (docs/protocol.md, section 3), canonical spelling.</summary>
public static class CommandMethods
{
    public const string CallStart = "CallStart";
    public const string CallBlindTransfer = "CallBlindTransfer";
    public const string CallAttendedTransfer = "CallAttendedTransfer";
    public const string CallHold = "CallHold";
    public const string CallUnHold = "CallUnHold";
    public const string CallEnd = "CallEnd";
    public const string CallList = "CallList";
    public const string CallGet = "CallGet";
    public const string CommandGet = "CommandGet";
    public const string CommandSubscribe = "CommandSubscribe";
    public const string EventsSubscribe = "EventsSubscribe";
    public const string EventsUnsubscribe = "EventsUnsubscribe";
}

/// <summary>Event codes carried in an <c>Event</c> notification's <c>data</c>.</summary>
public static class EventCodes
{
    public const string CallAnswer = "CALL_ANSWER";
    public const string TransferAccept = "TRANSFER_ACCEPT";
    public const string CallStart = "CALL_START";
    public const string TransferProgress = "TRANSFER_PROGRESS";
    public const string CallHold = "CALL_HOLD";
    public const string CallUnhold = "CALL_UNHOLD";
    public const string CallEnd = "CALL_END";
}

/// <summary>JSON-RPC error codes of the client protocol.</summary>
public static class ErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int ServerError = -32000;
    public const int CallUnknown = -32001;
    public const int CallBusy = -32002;
    public const int ProxyUnavailable = -32003;
    public const int Overloaded = -32004;

    /// <summary>The caller's token lacks the scope the method needs (docs/security.md); -32003 is the proxy's.</summary>
    public const int Forbidden = -32005;
}
