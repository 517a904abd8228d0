using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Protocol;
using CallCluster.Hosting.Security;

namespace CallCluster.Gateway.Security;

/// <summary>What one connection may do: its caller (scopes, domains), its token's limiter, and the audit log.
/// Immutable; handed to the connection actor when the WebSocket opens.</summary>
public sealed record ConnectionAccess(CallerIdentity Caller, TokenLimiter? Limiter, CommandAudit? AuditLog, string ConnectionId)
{
    /// <summary>The scope a request needs: commands change calls, everything else reads.</summary>
    public static string RequiredScope(RpcItem item) => item is RpcCommand ? Scopes.CallsControl : Scopes.CallsRead;

    public bool DomainLimited => Caller.Domains.Count > 0;

    public void Audit(string method, string cmdId, string outcome) =>
        AuditLog?.Command(Caller.TokenId, ConnectionId, method, cmdId, outcome, anonymous: Caller.Via == CallerIdentity.ViaAnonymous);

    public static RpcError ForbiddenFor(RpcItem item, string scope) =>
        RpcError.Forbidden($"{MethodOf(item)} needs the {scope} scope, which this token does not have");

    public static string MethodOf(RpcItem item) => item switch
    {
        RpcCommand c => c.Method,
        RpcGet => CommandMethods.CommandGet,
        RpcSubscribe => CommandMethods.CommandSubscribe,
        RpcQuery q => q.Method,
        _ => "?",
    };
}
