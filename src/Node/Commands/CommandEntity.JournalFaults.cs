using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Hosting.Metrics;
using CallCluster.Node.Persistence;

namespace CallCluster.Node.Commands;

/// <summary>When the journal fails (PostgreSQL stopped, a connection cut): the clients waiting on this entity get a
/// prompt, specific answer instead of silence (docs/faults-and-bad-input.md, "Proxy and journal faults").
/// - Recovery failed (the read before anything else): every StartCommand, CommandGet or CommandSubscribe that arrived
///   meanwhile is answered -32003 "Service unavailable", and the entity stops (Akka.Persistence's rule); nothing was
///   stored, so a client may send the same cmd_id again.
/// - The start's write failed: the client is answered -32003 instead of "Started"; a command is acknowledged only
///   once stored, so none is acknowledged that the journal did not take.
/// - A later write failed (a notification, a fact): the entity stops and has the region wake it 5 s later
///   (CommandEntity.Resume.cs; the resumer's periodic scan if the journal is still down then), and it resumes from
///   what is stored (docs/survival.md). The notification in question is decided again by the resumed flow, as after
///   a crash (docs/persistence.md, "Crash windows").
/// Each failure also marks the journal down for <see cref="JournalHealth"/>, which lets the gateway refuse new
/// commands at once while it is down.</summary>
public sealed partial class CommandEntity
{
    private const int MaxWaitingRequesters = 64;
    private const string JournalUnavailable = "Service unavailable";

    /// <summary>Requesters that arrived before the command was recovered or its start stored: those to answer if the
    /// journal fails first.</summary>
    private readonly List<IActorRef> _awaitingJournal = [];

    protected override bool AroundReceive(Receive receive, object message)
    {
        if (_state.IsStarted)
        {
            _awaitingJournal.Clear();
        }
        else if (_awaitingJournal.Count < MaxWaitingRequesters)
        {
            var requester = message switch
            {
                StartCommand s => s.Subscriber,
                SubscribeCommand s => s.Subscriber,
                GetCommand => Sender,
                _ => null,
            };
            if (requester is not null && !requester.IsNobody())
            {
                _awaitingJournal.Add(requester);
            }
        }

        return base.AroundReceive(receive, message);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        FaultMetrics.JournalFailed(JournalEntity, "recovery");
        JournalHealth.Get(Context.System).Failed(reason);
        RejectWaiting("the command journal could not be read (" + reason.GetType().Name + "); nothing was stored, retry later");
        base.OnRecoveryFailure(reason, message);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        FaultMetrics.JournalFailed(JournalEntity, "persist");
        JournalHealth.Get(Context.System).Failed(cause);
        if (!_state.IsStarted)
        {
            RejectWaiting("the command could not be stored (" + cause.GetType().Name + "); it was not started, retry later");
        }

        WakeAfterJournalFailure();
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        FaultMetrics.JournalFailed(JournalEntity, "rejected");
        if (!_state.IsStarted)
        {
            RejectWaiting("the command journal refused the command (" + cause.GetType().Name + "); it was not started");
        }

        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private void RejectWaiting(string data)
    {
        _log.Warning("Command {cmd_id}: journal failure, answering {waiting} waiting request(s) -32003: {failure}", CmdId, _awaitingJournal.Count, data);
        foreach (var requester in _awaitingJournal)
        {
            requester.Tell(new CommandRejected(CmdId, ErrorCodes.ProxyUnavailable, JournalUnavailable, data));
        }

        _awaitingJournal.Clear();
    }
}
