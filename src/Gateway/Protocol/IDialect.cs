using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Protocol;

/// <summary>How one WebSocket path turns frames into requests and answers into frames. The connection actor,
/// the command entities, idempotency and replay are the same behind every dialect; only bytes differ.</summary>
public interface IDialect
{
    WireDialect Kind { get; }

    /// <summary>One text frame as validated requests. Pure and thread-safe (runs on the receive loop).</summary>
    InboundFrame Parse(ReadOnlyMemory<byte> utf8);

    /// <summary>The reply to a command that was accepted (started, or an idempotent repeat).</summary>
    byte[] Started(string idJson, string cmdId);

    /// <summary>An error reply; <paramref name="error"/> carries the native code, which the dialect may restate.</summary>
    byte[] Error(string idJson, RpcError error);

    /// <summary>What the dialect must remember about a command to render its notifications (null: nothing).</summary>
    DialectMemory? Begin(RpcCommand command);

    /// <summary>The frames for one notification, given in seq order, and the command's memory afterwards.</summary>
    RenderedNotification Render(CommandNotification notification, DialectMemory? memory);
}

/// <summary>Per-command state of a dialect's renderer; immutable, replaced on every notification.</summary>
public abstract record DialectMemory;

/// <summary>Zero or more frames for one notification, and the memory for the next one.</summary>
public sealed record RenderedNotification(IReadOnlyList<byte[]> Frames, DialectMemory? Memory);
