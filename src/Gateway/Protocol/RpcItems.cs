namespace CallCluster.Gateway.Protocol;

/// <summary>One parsed WebSocket text frame: a single request or a batch (replies go back as an array).</summary>
public sealed record InboundFrame(IReadOnlyList<RpcItem> Items, bool IsBatch)
{
    public static InboundFrame Single(RpcItem item) => new([item], false);
}

/// <summary>One request of a frame. <see cref="IdJson"/> is the request id as the exact raw JSON text the client
/// sent (e.g. <c>"abc"</c> with quotes, <c>1.50</c>, <c>null</c>); null when the request is a notification
/// and must get no reply.</summary>
public abstract record RpcItem(string? IdJson)
{
    public bool WantsReply => IdJson is not null;
}

/// <summary>Refused before reaching the cluster; the error is the whole answer.</summary>
public sealed record RpcInvalid(string? IdJson, RpcError Error) : RpcItem(IdJson);

/// <summary>A validated command (CallStart, CallEnd, ...): becomes a StartCommand. <see cref="CmdId"/> is the
/// client's or a generated UUID; <see cref="Params"/> are normalised and exclude cmd_id.</summary>
public sealed record RpcCommand(string? IdJson, string Method, string CmdId, IReadOnlyDictionary<string, string> Params)
    : RpcItem(IdJson)
{
    /// <summary>The gateway generated <see cref="CmdId"/> for this request (the client sent none): no command can exist
    /// under it yet (StartCommand.FreshCmdId).</summary>
    public bool CmdIdGenerated { get; init; }
}

/// <summary>CommandGet.</summary>
public sealed record RpcGet(string? IdJson, string CmdId) : RpcItem(IdJson);

/// <summary>CommandSubscribe.</summary>
public sealed record RpcSubscribe(string? IdJson, string CmdId, int AfterSeq) : RpcItem(IdJson);

/// <summary>CallList / CallGet: validated, but no cluster query exists for them yet.</summary>
public sealed record RpcQuery(string? IdJson, string Method, IReadOnlyDictionary<string, string> Params) : RpcItem(IdJson);

/// <summary>EventsSubscribe: call events matching <see cref="Filter"/>, after the cursor <see cref="After"/> (null: from now).</summary>
public sealed record RpcEventsSubscribe(string? IdJson, Events.EventFilter Filter, long? After) : RpcItem(IdJson);

/// <summary>EventsUnsubscribe.</summary>
public sealed record RpcEventsUnsubscribe(string? IdJson, string Subscription) : RpcItem(IdJson);
