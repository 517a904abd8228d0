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
/// the node and never recovers anything: each incarnation takes a fresh persistence id, so a start costs no replay and
/// two incarnations can never write the same id.
///
/// Why one batch at a time: the journal writes in the order it is asked, for every entity of the node. A burst of new
/// calls (20,000 at once in the cold-start benchmark) raised 40,000 events; written as they came, they queued in the
/// journal ahead of every command's own writes, and CallEnds stalled for up to a second behind them. Here the events
/// wait in this actor while one batch (at most <see cref="MaxBatch"/>) is being written, and go together in the next:
/// a command's write waits behind at most one batch, and under load the batches grow, so the events still keep up
/// (bench/README.md, "cold start"). Beyond <see cref="MaxWaiting"/> waiting events new ones are dropped and counted
/// lost, so a journal that cannot keep up never exhausts the node's memory.
///
/// A write that fails loses its batch, and the events waiting behind it, for everyone (they were in no outbox yet):
/// the loss is counted and logged, and the writer is restarted by its back-off supervisor with a new persistence id.</summary>
public sealed class CallEventLog : ReceivePersistentActor
{
    /// <summary>Events in one journal write: one transaction of the journal, a few milliseconds on SQLite.</summary>
    public const int MaxBatch = 500;

    /// <summary>Events waiting for the batch in flight, at most: five times the 40,000 events of a 20,000-call burst.</summary>
    public const int MaxWaiting = 200_000;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly int _maxBatch;
    private readonly int _maxWaiting;
    private readonly Queue<CallEventRecorded> _waiting = new();
    private int _writing; // events in the write in flight (0: none)
    private long _droppedSinceLog;

    /// <param name="maxBatch">Events per write (<see cref="MaxBatch"/>; tests make it small).</param>
    /// <param name="maxWaiting">Events waiting, at most (<see cref="MaxWaiting"/>).</param>
    public CallEventLog(string nodeName, int maxBatch = MaxBatch, int maxWaiting = MaxWaiting)
    {
        _maxBatch = maxBatch;
        _maxWaiting = maxWaiting;
        PersistenceId = $"call-events-{nodeName}-{Guid.NewGuid():N}";
        Command<CallEventRecorded>(OnEvent);
    }

    public override string PersistenceId { get; }

    public static Props Props(string nodeName, int maxBatch = MaxBatch, int maxWaiting = MaxWaiting) =>
        Akka.Actor.Props.Create(() => new CallEventLog(nodeName, maxBatch, maxWaiting));

    /// <summary>The writer under a back-off supervisor: a journal outage stops it (Akka stops a persistent actor whose
    /// write failed), and it comes back on its own while the dialogs keep going.</summary>
    public static Props Supervised(string nodeName) => Akka.Pattern.BackoffSupervisor.Props(
        Akka.Pattern.Backoff.OnStop(Props(nodeName), "writer", TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), 0.2, -1));

    private void OnEvent(CallEventRecorded e)
    {
        if (_waiting.Count >= _maxWaiting)
        {
            EventMetrics.Lost();
            if (_droppedSinceLog++ == 0)
            {
                _log.Warning("Call events: {0} waiting for the journal; new events are dropped until it catches up", _maxWaiting);
            }

            return;
        }

        _waiting.Enqueue(e);
        WriteNextBatch();
    }

    /// <summary>Everything waiting, up to <see cref="MaxBatch"/>, in one write, unless a write is in flight (its end
    /// starts the next). PersistAllAsync: the actor keeps taking events meanwhile instead of stashing them.</summary>
    private void WriteNextBatch()
    {
        if (_writing > 0 || _waiting.Count == 0)
        {
            return;
        }

        var batch = new List<CallEventRecorded>(Math.Min(_waiting.Count, _maxBatch));
        while (batch.Count < _maxBatch && _waiting.TryDequeue(out var next))
        {
            batch.Add(next);
        }

        _writing = batch.Count;
        var last = batch[^1];
        PersistAllAsync(batch, written =>
        {
            EventMetrics.Emitted(written.Name);
            if (ReferenceEquals(written, last))
            {
                _writing = 0;
                if (_droppedSinceLog > 0)
                {
                    _log.Info("Call events: the journal caught up; {0} event(s) were dropped meanwhile", _droppedSinceLog);
                    _droppedSinceLog = 0;
                }

                WriteNextBatch();
            }
        });
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        LoseWaiting();
        _log.Error(cause, "A batch of call events could not be written to the journal and is lost (first: {0})", @event);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        EventMetrics.Lost();
        _log.Error(cause, "The journal rejected a call event, which is lost: {0}", @event);
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    /// <summary>A failed write stops this writer: its batch and the events waiting behind it are lost.</summary>
    private void LoseWaiting()
    {
        EventMetrics.Lost(Math.Max(_writing, 1) + _waiting.Count);
        _waiting.Clear();
    }
}
