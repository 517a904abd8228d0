using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Protocol;

/// <summary>A JSON-RPC error object; <paramref name="Data"/> is written only when not null.</summary>
public sealed record RpcError(int Code, string Message, string? Data = null)
{
    public static RpcError Parse(string? data = null) => new(ErrorCodes.ParseError, "Parse error", data);
    public static RpcError InvalidRequest(string? data = null) => new(ErrorCodes.InvalidRequest, "Invalid Request", data);
    public static RpcError MethodNotFound(string? data = null) => new(ErrorCodes.MethodNotFound, "Method not found", data);
    public static RpcError InvalidParams(string data) => new(ErrorCodes.InvalidParams, "Invalid params", data);
    public static RpcError Server(string data) => new(ErrorCodes.ServerError, "Server error", data);
    public static RpcError Overloaded(string data) => new(ErrorCodes.Overloaded, "overloaded", data);
    public static RpcError Forbidden(string data) => new(ErrorCodes.Forbidden, "forbidden", data);
}
