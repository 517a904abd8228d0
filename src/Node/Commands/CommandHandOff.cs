namespace CallCluster.Node.Commands;

/// <summary>The message sharding sends a command entity to stop it when its shard moves to another node (a graceful
/// leave, a rebalance), instead of the default <c>PoisonPill</c>.
/// Why: a <c>PoisonPill</c> stops a persistent actor at once, even between a journal write and its handler, so a decision
/// already stored (the click-to-dial INVITE goes out next, the REFER goes out next) could be left undone; the incarnation
/// that resumes on the other node then finds the proxy without the call and fails the command. An ordinary message
/// waits in the persistence stash until the handler has run, and lets the state the entity is in finish what it
/// already decided before stopping (<see cref="CommandEntity"/>). Sent only by the local shard, never serialized.</summary>
public sealed record CommandHandOff
{
    public static readonly CommandHandOff Instance = new();

    private CommandHandOff()
    {
    }
}
