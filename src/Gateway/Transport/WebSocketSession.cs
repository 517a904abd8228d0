using CallCluster.Hosting.Metrics;
using System.Net.WebSockets;
using Akka.Actor;
using CallCluster.Gateway.Connection;
using CallCluster.Gateway.Protocol;
using Microsoft.Extensions.Logging;

namespace CallCluster.Gateway.Transport;

/// <summary>Runs one accepted WebSocket: wires the receive loop, the connection actor and the outbound stream,
/// and closes the socket for whichever reason comes first (client close, slow client, broken link, shutdown).</summary>
internal sealed class WebSocketSession(
    WebSocket socket,
    ActorSystem system,
    IActorRef commandRegion,
    GatewaySettings settings,
    IDialect dialect,
    ILogger logger,
    string connectionId,
    IActorRef? dialogRegion = null,
    Events.EventSource? events = null,
    Security.ConnectionAccess? access = null,
    CancellationToken revoked = default)
{
    public const string RevokedReason = "credential revoked or expired";

    public const string OverflowReason = "outbound buffer full: client is not reading";
    public const string ShutdownReason = "server shutting down";

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    // A client that does not read may never let the close frame out; after this the socket is aborted.
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>After a protocol error (invalid UTF-8: 1007, RFC 6455 §8.1), how long the TCP connection is kept while
    /// the client reads the close frame the WebSocket sent. Closing at once reset the connection (measured: 37 of 50 raw
    /// clients lost the 1007 frame to the reset).</summary>
    private static readonly TimeSpan ProtocolErrorLinger = TimeSpan.FromSeconds(2);

    /// <param name="clientGone">Fires when the client's TCP connection ends (HttpContext.RequestAborted).</param>
    public async Task RunAsync(string remote, CancellationToken shutdown, CancellationToken clientGone = default)
    {
        var outbound = OutboundStream.Start(socket, settings.OutboundBufferSize, settings.OutboundBufferBytes, system, "ws-out-" + connectionId);
        // Parsed frames waiting for the connection actor are bounded: past the bound the socket is not read (GatewaySettings).
        using var credit = new SemaphoreSlim(settings.MaxPendingInboundFrames, settings.MaxPendingInboundFrames);
        using var closing = new CancellationTokenSource();
        var connection = system.ActorOf(ConnectionActor.Props(commandRegion, outbound.Writer, settings, dialogRegion,
            dialect, frameHandled: () => ReleaseCredit(credit), events: events, access: access), "ws-" + connectionId);
        // Debug, not Information: a gateway with thousands of clients must stay readable at INFO (counts are in /metrics).
        logger.LogDebug("WebSocket {ConnectionId} opened from {Remote} by {TokenId}", connectionId, remote,
            access?.Caller.TokenId ?? "anonymous");
        CallClusterMetrics.WebSocketOpened();

        var receiving = Task.Run(() => InboundLoop.RunAsync(socket, dialect, connection, settings.MaxFrameBytes, CancellationToken.None,
            credit, closing.Token));
        // The actor stops when the outbound writer does (overflow, send failure): frames are dropped from then on.
        _ = outbound.Completion.ContinueWith(_ => CancelQuietly(closing), TaskScheduler.Default);
        var shutdownSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string reason = "unknown";
        var closedAs = "lost";
        try
        {
            await using var registration = shutdown.Register(() => shutdownSignal.TrySetResult());
            // A revoked (or expired) token ends the connections it opened, not only the next upgrade.
            var revokedSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var revocation = revoked.Register(() => revokedSignal.TrySetResult());
            var first = await Task.WhenAny(receiving, outbound.Completion, shutdownSignal.Task, revokedSignal.Task).ConfigureAwait(false);
            if (first == receiving)
            {
                var end = await receiving.ConfigureAwait(false);
                if (end.ClientClosed)
                {
                    closedAs = "client";
                    reason = $"client closed ({(int?)end.Status} {end.Description})";
                    await DrainAsync(outbound).ConfigureAwait(false);
                    await CloseAsync(end.Status ?? WebSocketCloseStatus.NormalClosure, "", receiving).ConfigureAwait(false);
                }
                else
                {
                    reason = $"connection lost: {end.Error?.Message}";
                    // The WebSocket already sent its close frame when the error was the client's (invalid UTF-8, bad
                    // framing): keep the TCP connection until the client has it and closes, at most ProtocolErrorLinger.
                    try
                    {
                        await Task.Delay(ProtocolErrorLinger, clientGone).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // the client closed: the close frame reached it
                    }

                    socket.Abort();
                }
            }
            else if (first == outbound.Completion)
            {
                var error = outbound.Completion.Exception?.GetBaseException();
                if (OutboundStream.IsOverflow(error))
                {
                    reason = OverflowReason;
                    logger.LogWarning("WebSocket {ConnectionId}: {Reason} ({Detail}); closing with 1008",
                        connectionId, OverflowReason, error?.Message);
                    closedAs = "slow_client";
                    Announce(WebSocketCloseStatus.PolicyViolation, reason);
                    await CloseAsync(WebSocketCloseStatus.PolicyViolation, reason, receiving).ConfigureAwait(false);
                }
                else
                {
                    reason = $"send failed: {error?.Message ?? "outbound stream ended"}";
                    socket.Abort();
                }
            }
            else if (first == revokedSignal.Task)
            {
                reason = RevokedReason;
                closedAs = "revoked";
                logger.LogWarning("WebSocket {ConnectionId}: token {TokenId} was revoked or expired; closing with 1008",
                    connectionId, access?.Caller.TokenId);
                Announce(WebSocketCloseStatus.PolicyViolation, reason);
                await CloseAsync(WebSocketCloseStatus.PolicyViolation, reason, receiving).ConfigureAwait(false);
            }
            else
            {
                reason = ShutdownReason;
                closedAs = "shutdown";
                Announce(WebSocketCloseStatus.EndpointUnavailable, reason);
                await DrainAsync(outbound).ConfigureAwait(false);
                await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, reason, receiving).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            reason = $"connection lost: {e.Message}";
            socket.Abort();
        }
        finally
        {
            if (!outbound.Completion.IsCompleted)
            {
                outbound.Writer.Tell(new Status.Failure(new ConnectionClosedException(reason)));
            }

            connection.Tell(new ConnectionClosed(reason));
            CancelQuietly(closing);
            // The receive loop ends once the socket is closed or aborted; make sure it is not left behind.
            try
            {
                await receiving.WaitAsync(CloseTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                socket.Abort();
            }

            logger.LogDebug("WebSocket {ConnectionId} closed: {Reason}", connectionId, reason);
            CallClusterMetrics.WebSocketClosed(closedAs);
            system.EventStream.Publish(new GatewayConnectionClosed(connectionId, reason));
        }
    }

    private static void ReleaseCredit(SemaphoreSlim credit)
    {
        try
        {
            credit.Release();
        }
        catch (ObjectDisposedException)
        {
            // the session has ended
        }
    }

    private static void CancelQuietly(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the session has ended
        }
    }

    private void Announce(WebSocketCloseStatus status, string reason) =>
        system.EventStream.Publish(new GatewayConnectionClosing(connectionId, status, reason));

    /// <summary>Lets the frames already queued go out before the close frame.</summary>
    private static async Task DrainAsync(OutboundStream outbound)
    {
        outbound.Writer.Tell(new Status.Success(null));
        try
        {
            await outbound.Completion.WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Timed out or failed: the close below still happens; anything unsent is lost with the connection.
        }
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string description, Task<InboundEnd> receiving)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var cts = new CancellationTokenSource(CloseTimeout);
        try
        {
            await socket.CloseOutputAsync(status, description, cts.Token).ConfigureAwait(false);
            // Wait for the client's close frame (the receive loop sees it), unless it had already come.
            await receiving.WaitAsync(CloseTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException or IOException)
        {
            socket.Abort();
        }
    }
}

/// <summary>Fails the outbound stream when the session ends before it completed.</summary>
internal sealed class ConnectionClosedException(string reason) : Exception(reason);
