namespace CallCluster.Gateway.Connection;

/// <summary>The WebSocket of this connection is gone (closed, broken or shut down): stop and unsubscribe. Not logged as a
/// dead letter: when the client closes first, the actor has usually stopped already (its outbound stream ended), and
/// the session sends this anyway in case it has not.</summary>
public sealed record ConnectionClosed(string Reason) : Akka.Event.IDeadLetterSuppression;

/// <summary>Periodic tick that answers requests the command service did not answer within the ask timeout.</summary>
internal sealed record CheckAskTimeouts
{
    public static readonly CheckAskTimeouts Instance = new();
}
