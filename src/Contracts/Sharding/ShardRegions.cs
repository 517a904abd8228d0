using Akka.Cluster.Sharding;

namespace CallCluster.Contracts.Sharding;

/// <summary>Names and roles of the shard regions; gateways start proxies with the same names and extractors.</summary>
public static class ShardRegions
{
    public const string Command = "command";
    public const string Dialog = "dialog";
    public const string CallNodeRole = "call-node";
    public const string GatewayRole = "gateway";
}

/// <summary>Commands are sharded by cmd_id. (StartEntity, used by remember-entities, is handled by the base class.)</summary>
public sealed class CommandMessageExtractor(int maxNumberOfShards) : HashCodeMessageExtractor(maxNumberOfShards)
{
    public override string? EntityId(object message) => message switch
    {
        ICommandMessage command => command.CmdId,
        _ => null,
    };
}

/// <summary>Dialogs are sharded by SIP Call-ID.</summary>
public sealed class DialogMessageExtractor(int maxNumberOfShards) : HashCodeMessageExtractor(maxNumberOfShards)
{
    public override string? EntityId(object message) => message switch
    {
        IDialogMessage dialog => dialog.CallId,
        _ => null,
    };
}
