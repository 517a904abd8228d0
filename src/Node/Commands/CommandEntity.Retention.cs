using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Commands;

namespace CallCluster.Node.Commands;

/// <summary>Journal retention (docs/retention.md). An ended command asked by the retention sweeper
/// (<see cref="CommandRetentionSweeper"/>) deletes its events and passivates. Akka.Persistence.Sql keeps the row of
/// the highest sequence number (flagged deleted) so that sequence numbers are never reused: a later recovery replays
/// nothing but still sees <c>LastSequenceNr &gt; 0</c>. That is the tombstone: the command is "removed after
/// retention", queries answer -32001 and its cmd_id cannot be reused.
/// Hooks in CommandEntity.cs: <see cref="RecoveredAsRemoved"/> (OnRecovered) and <see cref="OnPurge"/> (Ended).</summary>
public sealed partial class CommandEntity
{
    /// <summary>Recovery found no start but a sequence number: the events were deleted by retention.</summary>
    private bool RecoveredAsRemoved()
    {
        if (_state.IsStarted || LastSequenceNr == 0)
        {
            return false;
        }

        Become(Removed);
        return true;
    }

    /// <summary>Ended state only: deletes every event once the Ended notification is stored; before that (or in a
    /// flow still running) nothing is deleted and the sweeper is told so.</summary>
    private void OnPurge(PurgeCommand _)
    {
        if (!_state.IsEnded)
        {
            Sender.Tell(new CommandPurged(CmdId, Removed: false));
            return;
        }

        _log.Info("Command {cmd_id} ({method}) ended and is past the retention period: deleting its {events} events",
            CmdId, _state.Method, LastSequenceNr);
        var requester = Sender;
        Context.SetReceiveTimeout(null);
        DeleteMessages(LastSequenceNr);
        Become(() => Purging(requester));
    }

    /// <summary>Deleting: still answers from memory (the events exist until the delete commits).</summary>
    private void Purging(IActorRef requester)
    {
        Command<DeleteMessagesSuccess>(_ =>
        {
            requester.Tell(new CommandPurged(CmdId, Removed: true));
            Become(Removed);
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Command<DeleteMessagesFailure>(failure =>
        {
            _log.Warning(failure.Cause, "Command {cmd_id}: deleting its events failed; kept until the next sweep", CmdId);
            requester.Tell(new CommandPurged(CmdId, Removed: false));
            BecomeEnded();
        });
        Command<PurgeCommand>(_ => _log.Debug("Command {cmd_id}: already deleting its events", CmdId));
        CommonHandlers();
        CommandAny(m => _log.Debug("Command {cmd_id} ended: ignoring late {message_type}", CmdId, m.GetType().Name));
    }

    /// <summary>The tombstone: only the fact that the cmd_id was used remains.</summary>
    private void Removed()
    {
        Command<GetCommand>(_ => RejectRemovedAndStop(Sender));
        Command<SubscribeCommand>(s => RejectRemovedAndStop(s.Subscriber));
        Command<StartCommand>(s =>
        {
            s.Subscriber.Tell(new CommandRejected(CmdId, ErrorCodes.InvalidParams, "Invalid params",
                "cmd_id was used by a command that has been removed; choose another"));
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Command<PurgeCommand>(_ =>
        {
            Sender.Tell(new CommandPurged(CmdId, Removed: true));
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Command<UnsubscribeCommand>(_ => { });
        Command<CommandHandOff>(_ => Context.Stop(Self));
        Command<ResumeCommand>(OnResumeNothingToRun);
        CommandAny(m => _log.Debug("Command {cmd_id} removed after retention: ignoring {message_type}", CmdId, m.GetType().Name));
    }

    private void RejectRemovedAndStop(IActorRef requester)
    {
        requester.Tell(new CommandRejected(CmdId, ErrorCodes.CallUnknown, "Command removed",
            $"command {CmdId} ended and was removed after the retention period"));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
