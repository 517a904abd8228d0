using Akka.Actor;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Calls;

/// <summary>The rules of CallGet and CallList that sit after parameter validation, shared by the WebSocket connection
/// and the REST routes so that both answer the same question with the same error.</summary>
public static class CallQueries
{
    /// <summary>CallList's page size when the client gives no <c>limit</c>.</summary>
    public const int DefaultListLimit = 100;

    /// <summary>A dialog entity exists for any Call-ID asked about; one that has heard nothing and was acted on by no
    /// command is a call this cluster does not know (-32001), not an empty call.</summary>
    public static RpcError? Unknown(DialogView view) =>
        view.State == 0 && view.CmdIds.Count == 0 ? UnknownCall(view.CallId) : null;

    /// <summary>-32001 for a call this cluster does not know, or one the caller may not see (a domain-limited token
    /// is answered the same way, docs/security.md).</summary>
    public static RpcError UnknownCall(string callId) =>
        new(ErrorCodes.CallUnknown, "Unknown call", $"callid: no call {callId} is known to this cluster");

    public static RpcError GetTimedOut { get; } = RpcError.Server("the dialog service did not answer in time");

    /// <summary>CallList's validated <c>limit</c> and <c>cursor</c> as a page size and the Call-ID to list after; the
    /// -32602 to answer when the cursor is not one this server gave out.</summary>
    public static (int Limit, string? After, RpcError? Error) ListArguments(IReadOnlyDictionary<string, string> parameters)
    {
        var limit = parameters.TryGetValue("limit", out var l)
            ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture)
            : DefaultListLimit;
        string? after = null;
        if (parameters.TryGetValue("cursor", out var cursor) && (after = CallCursor.Decode(cursor)) is null)
        {
            return (limit, null, RpcError.InvalidParams("cursor: not a cursor this server gave out"));
        }

        return (limit, after, null);
    }

    /// <summary>Why a CallList failed, as its -32000 text.</summary>
    public static string ListFailure(Exception e) => e.GetBaseException() switch
    {
        CallListUnavailable u => u.Message,
        AskTimeoutException => "the dialog service did not answer in time",
        var other => "the calls could not be listed: " + other.Message,
    };
}
