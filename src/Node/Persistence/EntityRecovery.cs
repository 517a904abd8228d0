namespace CallCluster.Node.Persistence;

/// <summary>Shared recovery settings of the entities.</summary>
internal static class EntityRecovery
{
    /// <summary>Replay all events and never look for a snapshot: the entities do not take any.</summary>
    public static readonly Akka.Persistence.Recovery NoSnapshots = new(Akka.Persistence.SnapshotSelectionCriteria.None);
}
