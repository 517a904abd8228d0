using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Protocol.Compat;

/// <summary>The original OpenSIPS Call API's dialect (docs/compat-dialect.md): its parser, its frames, and its
/// event names computed from the native notifications of the same commands.</summary>
public sealed class OriginalDialect(MethodRegistry registry) : IDialect
{
    private readonly OriginalRequestParser _parser = new(registry);

    public WireDialect Kind => WireDialect.Original;

    public InboundFrame Parse(ReadOnlyMemory<byte> utf8) => _parser.Parse(utf8);

    public byte[] Started(string idJson, string cmdId) => OriginalWriter.Started(idJson, cmdId);

    /// <summary>Counted in <c>callcluster_rpc_errors_total</c> by its native code, as on the native path, then restated.</summary>
    public byte[] Error(string idJson, RpcError error)
    {
        CallCluster.Hosting.Metrics.CallClusterMetrics.RpcError(error.Code);
        return OriginalWriter.Error(idJson, OriginalErrors.Restate(error));
    }

    public DialectMemory? Begin(RpcCommand command) => new OriginalCommandMemory(command.Method, command.Params);

    public RenderedNotification Render(CommandNotification notification, DialectMemory? memory)
    {
        if (memory is not OriginalCommandMemory m)
        {
            // Only commands started on this connection are followed in this dialect (it has no CommandSubscribe).
            return new RenderedNotification([], memory);
        }

        var (events, next) = OriginalEventMap.Map(notification, m);
        var method = OriginalMethods.Original(m.NativeMethod);
        return new RenderedNotification(events.Select(e => OriginalWriter.Notification(method, notification.CmdId, e)).ToList(), next);
    }
}
