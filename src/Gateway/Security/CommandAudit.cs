using Microsoft.Extensions.Logging;

namespace CallCluster.Gateway.Security;

/// <summary>One line per command, in its own log category (<c>CallCluster.Audit</c>) so it can be routed apart:
/// who (the token's id, never the secret), what (method, cmd_id) and how it was answered. At INFO for an identified
/// caller; at DEBUG for an anonymous one (no API tokens configured: the loopback sandbox), where the line names nobody
/// and, one per command at INFO, cost about 6 % of the embedded node's CPU under load (bench/README.md).</summary>
public sealed class CommandAudit(ILogger logger)
{
    public const string Category = "CallCluster.Audit";

    public const string Started = "started";
    public const string Forbidden = "forbidden";
    public const string Limited = "limited";
    public const string Timeout = "timeout";

    public static string Refused(int code) => "refused:" + code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Command(string tokenId, string connection, string method, string cmdId, string outcome, bool anonymous = false) =>
        logger.Log(anonymous ? LogLevel.Debug : LogLevel.Information,
            "audit token_id={TokenId} connection={Connection} method={Method} cmd_id={CmdId} outcome={Outcome}",
            tokenId, connection, method, cmdId, outcome);
}
