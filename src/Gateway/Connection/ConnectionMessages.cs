namespace CallCluster.Gateway.Connection;

/// <summary>The WebSocket of this connection is gone (closed, broken or shut down): stop and unsubscribe.</summary>
public sealed record ConnectionClosed(string Reason);

/// <summary>Periodic tick that answers requests the command service did not answer within the ask timeout.</summary>
internal sealed record CheckAskTimeouts
{
    public static readonly CheckAskTimeouts Instance = new();
}
