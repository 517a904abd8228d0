using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Protocol.Compat;

/// <summary>Error replies restated for the original dialect. The original answers every refusal with code 32000
/// (positive) and a fixed message; here the code stays in its family, positive, so that a client of the original can
/// still tell them apart (32700 parse, 32600 request, 32602 params, 32000-32004 as in the native table), and the
/// message is the original's wording where it has one. An unknown method stays JSON-RPC's -32601: the original's
/// 32000 there came from its reflection lookup, which is not copied. <c>data</c> carries the native detail.</summary>
public static class OriginalErrors
{
    public static RpcError Restate(RpcError error) => error.Code switch
    {
        ErrorCodes.MethodNotFound => error with { Message = "unknown JSON-RPC method" },
        ErrorCodes.ParseError => new RpcError(-error.Code, "failed to parse JSON-RPC request", error.Data),
        ErrorCodes.InvalidParams => new RpcError(-error.Code, "bad JSON-RPC parameters", error.Data),
        ErrorCodes.InvalidRequest => new RpcError(-error.Code, "invalid JSON-RPC request", error.Data),
        < 0 => error with { Code = -error.Code },
        _ => error,
    };

    public static RpcError NonObjectParams() =>
        new(-ErrorCodes.InvalidRequest, "non-object parameters are not accepted", "params must be an object");

    public static RpcError BadCmdId() =>
        new(-ErrorCodes.InvalidParams, "bad cmd_id (must be a string)", "cmd_id must be a string");
}
