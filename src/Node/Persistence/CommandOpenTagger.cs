using Akka.Persistence.Journal;
using CallCluster.Contracts.Journal;

namespace CallCluster.Node.Persistence;

/// <summary>Write-side event adapter of the journal (bound in <see cref="PersistenceSetup"/>): a command's
/// <see cref="CommandStarted"/>, its first event, is written with the tag <see cref="Tag"/>. With the Ended event's tag
/// (<see cref="CommandEndedTagger"/>) this is the durable index of commands in progress that the command resumer reads
/// (docs/survival.md): opened and not ended means in progress. The tag row is written in the same transaction as the
/// event, so it costs the start no extra journal round trip (sharding's remember-entities store did).</summary>
public sealed class CommandOpenTagger : IWriteEventAdapter
{
    public const string Tag = "command-open";

    private static readonly string[] Tags = [Tag];

    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt is CommandStarted ? new Tagged(evt, Tags) : evt;
}
