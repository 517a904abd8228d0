using System.Net.WebSockets;

namespace CallCluster.Gateway;

/// <summary>Published on the ActorSystem's EventStream when the gateway decides to close a connection
/// (before the close handshake, which a non-reading client may delay).</summary>
public sealed record GatewayConnectionClosing(string ConnectionId, WebSocketCloseStatus Status, string Reason);

/// <summary>Published on the EventStream when a connection's session has fully ended.</summary>
public sealed record GatewayConnectionClosed(string ConnectionId, string Reason);
