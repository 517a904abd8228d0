using Akka.Persistence.Journal;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Journal;

namespace CallCluster.Node.Persistence;

/// <summary>Write-side event adapter of the journal (bound in <see cref="PersistenceSetup"/>): the event that stores a
/// command's Ended notification is written with the tag <see cref="Tag"/>, whichever path persisted it (a lone Ended
/// or the last event and Ended in one write). Akka.Persistence.Sql keeps tags in its <c>tags</c> table (one row per
/// ended command), which the retention sweeper reads with CurrentEventsByTag (docs/retention.md). The entity needs no
/// change for this; recovery is unaffected (tags are not replayed, the payload is stored unwrapped).</summary>
public sealed class CommandEndedTagger : IWriteEventAdapter
{
    public const string Tag = "command-ended";

    private static readonly string[] Tags = [Tag];

    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) =>
        evt is NotificationRecorded { Notification.Kind: NotificationKind.Ended } ? new Tagged(evt, Tags) : evt;
}
