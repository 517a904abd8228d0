using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Protocol;

/// <summary>CallCluster's own dialect (docs/protocol.md): a notification is one frame, stateless.</summary>
public sealed class NativeDialect(RequestParser parser) : IDialect
{
    /// <summary>Every method enabled: for connection actors created without a dialect (tests, older callers).</summary>
    public static NativeDialect Default { get; } = new(new RequestParser(new MethodRegistry(GatewaySettings.DefaultEnabledMethods)));

    public RequestParser Parser { get; } = parser;

    public WireDialect Kind => WireDialect.Native;

    public InboundFrame Parse(ReadOnlyMemory<byte> utf8) => Parser.Parse(utf8);

    public byte[] Started(string idJson, string cmdId) => JsonRpcWriter.Started(idJson, cmdId);

    public byte[] Error(string idJson, RpcError error) => JsonRpcWriter.Error(idJson, error);

    public DialectMemory? Begin(RpcCommand command) => null;

    public RenderedNotification Render(CommandNotification notification, DialectMemory? memory) =>
        new([JsonRpcWriter.Notification(notification)], null);
}
