namespace CallCluster.Gateway;

/// <summary>The wire form a WebSocket path speaks; the commands behind every path are the same.</summary>
public enum WireDialect
{
    /// <summary>CallCluster's own protocol (docs/protocol.md).</summary>
    Native,

    /// <summary>The original OpenSIPS Call API's dialect (docs/compat-dialect.md).</summary>
    Original,
}
