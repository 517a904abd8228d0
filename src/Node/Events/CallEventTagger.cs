using Akka.Persistence.Journal;
using CallCluster.Contracts.Events;

namespace CallCluster.Node.Events;

/// <summary>Write-side event adapter (bound in PersistenceSetup): every <see cref="CallEventRecorded"/> is written with
/// the tag <see cref="CallEventNames.Tag"/>, so subscriptions and webhook deliveries read all nodes' event logs as one
/// stream with CurrentEventsByTag, ordered by the journal's global ordering (the cursor).</summary>
public sealed class CallEventTagger : IWriteEventAdapter
{
    private static readonly string[] Tags = [CallEventNames.Tag];

    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt is CallEventRecorded ? new Tagged(evt, Tags) : evt;
}
