using Akka.Persistence;

namespace CallCluster.Node.Persistence;

/// <summary>The recovery of an entity whose persistence id is known to have no events (a command whose cmd_id the
/// gateway has just generated: CommandEntityShell). Akka.Persistence always asks the journal for the highest sequence
/// number first, even for <see cref="Recovery.None"/>; <see cref="BatchedSqlWriteJournal"/> recognises this recovery's
/// request and answers "none" without a query. Nothing else sends a replay that asks for no event at all
/// (toSequenceNr 0, at most 0 events), so the pair marks it: Recovery.None itself still replays up to long.MaxValue
/// events and keeps its read.
/// If the id did have events after all, the entity's first write collides with them on the journal's unique key
/// (persistence id, sequence number) and fails: a wrong "known new" cannot overwrite a command.</summary>
public static class KnownNewRecovery
{
    public static readonly Recovery Instance = new(SnapshotSelectionCriteria.None, toSequenceNr: 0, replayMax: 0);

    /// <summary>This replay request comes from an entity recovering with <see cref="Instance"/>.</summary>
    public static bool Requested(ReplayMessages replay) => replay is { ToSequenceNr: 0, Max: 0 };
}
