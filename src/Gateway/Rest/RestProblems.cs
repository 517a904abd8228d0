using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Protocol;
using Microsoft.AspNetCore.Http;

namespace CallCluster.Gateway.Rest;

/// <summary>Client-protocol errors as RFC 9457 problem details: the JSON-RPC code travels unchanged in the extension
/// member <c>code</c> (a client handles both APIs with one table), the HTTP status says the same in HTTP's terms.</summary>
public static class RestProblems
{
    public const string CodeMember = "code";

    public static int StatusOf(int code) => code switch
    {
        ErrorCodes.ParseError or ErrorCodes.InvalidRequest or ErrorCodes.InvalidParams => StatusCodes.Status400BadRequest,
        ErrorCodes.CallUnknown => StatusCodes.Status404NotFound,
        ErrorCodes.CallBusy => StatusCodes.Status409Conflict,
        ErrorCodes.Overloaded => StatusCodes.Status429TooManyRequests,
        // A method switched off in enabled-methods, or one the call nodes do not implement.
        ErrorCodes.MethodNotFound => StatusCodes.Status501NotImplemented,
        // The proxy is down, or the cluster did not answer in time: worth a retry later (with the same Idempotency-Key).
        ErrorCodes.ProxyUnavailable or ErrorCodes.ServerError => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <param name="status">Overrides <see cref="StatusOf"/> where the route gives the code a sharper meaning.</param>
    /// <param name="cmdId">The command the error is about, when the client may not know it (a generated cmd_id).</param>
    public static IResult Problem(RpcError error, int? status = null, string? cmdId = null)
    {
        CallCluster.Hosting.Metrics.CallClusterMetrics.RpcError(error.Code);
        var extensions = new Dictionary<string, object?> { [CodeMember] = error.Code };
        if (cmdId is not null)
        {
            extensions[MethodSpec.CmdIdParam] = cmdId;
        }

        return TypedResults.Problem(detail: error.Data, statusCode: status ?? StatusOf(error.Code), title: error.Message,
            extensions: extensions);
    }
}
