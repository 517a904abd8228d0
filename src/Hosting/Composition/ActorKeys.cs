namespace CallCluster.Hosting.Composition;

/// <summary>Keys of the actors one feature starts and another uses, in Akka.Hosting's <c>IActorRegistry</c>.</summary>
public static class ActorKeys
{
    /// <summary>The command shard region (call nodes) or its proxy (gateway-only processes).</summary>
    public sealed class CommandRegion;

    /// <summary>The dialog shard region (call nodes) or its proxy (gateway-only processes).</summary>
    public sealed class DialogRegion;

    /// <summary>Where the gateway sends new commands: the journal gate in front of the command region.</summary>
    public sealed class JournalGate;
}
