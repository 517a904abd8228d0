using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Events;
using CallCluster.Node.Events.Metrics;

namespace CallCluster.Node.Events;

/// <summary>This node's writer of call events: the dialog entities tell it each event and it appends them to the
/// journal (tagged by <see cref="CallEventTagger"/>), which is the outbox every subscription and webhook reads.
///
/// Why one writer per node and not per dialog: dialog entities are deliberately not persistent (a recovery read per
/// Call-ID was most of the journal's load, docs/persistence.md); one writer batches the appends of every dialog of
/// the node (PersistAsync lets the journal group them) and never recovers anything: each incarnation takes a fresh
/// persistence id, so a start costs no replay and two incarnations can never write the same id.
/// A write that fails loses that event for everyone (it was in no outbox yet): the failure is counted and logged, and
/// the writer is restarted by its back-off supervisor with a new persistence id.</summary>
public sealed class CallEventLog : ReceivePersistentActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public CallEventLog(string nodeName)
    {
        PersistenceId = $"call-events-{nodeName}-{Guid.NewGuid():N}";
        Command<CallEventRecorded>(e => PersistAsync(e, written => EventMetrics.Emitted(written.Name)));
    }

    public override string PersistenceId { get; }

    public static Props Props(string nodeName) => Akka.Actor.Props.Create(() => new CallEventLog(nodeName));

    /// <summary>The writer under a back-off supervisor: a journal outage stops it (Akka stops a persistent actor whose
    /// write failed), and it comes back on its own while the dialogs keep going.</summary>
    public static Props Supervised(string nodeName) => Akka.Pattern.BackoffSupervisor.Props(
        Akka.Pattern.Backoff.OnStop(Props(nodeName), "writer", TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), 0.2, -1));

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        EventMetrics.Lost();
        _log.Error(cause, "A call event could not be written to the journal and is lost: {0}", @event);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        EventMetrics.Lost();
        _log.Error(cause, "The journal rejected a call event, which is lost: {0}", @event);
        base.OnPersistRejected(cause, @event, sequenceNr);
    }
}
