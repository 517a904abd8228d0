using Akka.Actor;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Sharding;
using CallCluster.Node.Sharding;

namespace CallCluster.Node.Commands;

/// <summary>How a command in progress gets running again when nothing else touches it (docs/survival.md): commands are
/// not sharding's remembered entities (that store cost a journal write on every start), so
/// - after the loss of a node, a full restart, or a journal failure that stopped it, the command resumer
///   (<see cref="CommandResumer"/>) sends <see cref="ResumeCommand"/>: its delivery starts the entity, which recovers
///   and resumes its flow; the answer <see cref="CommandWoken"/> tells the resumer it is running;
/// - when its shard moves (rebalance, a node leaving), a running command sends itself a ResumeCommand through the
///   region before stopping (another node's region when this one is leaving, none when it is the last:
///   <see cref="HandOverRoute"/>): the region holds it until the shard's new home is known and delivers it there;
/// - when a later write fails (the entity stops, Akka.Persistence's rule), it asks the region to wake it after
///   <see cref="JournalFailureRestartDelay"/>, as remember-entities' restart back-off did.</summary>
public sealed partial class CommandEntity
{
    private static readonly TimeSpan JournalFailureRestartDelay = TimeSpan.FromSeconds(5);

    /// <summary>Running or ended: already recovered, nothing to do but say so.</summary>
    private void OnResume(ResumeCommand _) => AcknowledgeWake();

    /// <summary>Nothing (or only a tombstone) stored under this cmd_id: say so and go, leaving nothing in memory.</summary>
    private void OnResumeNothingToRun(ResumeCommand _)
    {
        AcknowledgeWake();
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void AcknowledgeWake()
    {
        if (!Sender.IsNobody())
        {
            Sender.Tell(new CommandWoken(CmdId));
        }
    }

    /// <summary>The shard moves: a command still in progress wakes itself on the shard's next home.
    /// Not before the notifications it decided are stored: they are persisted with PersistAsync, which does not hold
    /// this message back, and what an entity queued behind a write in flight is never sent if it stops. A rolling
    /// restart lost a CallStart's CALL_START that way (the transfer had started and been answered); the incarnation that
    /// resumed found no start, saw the placeholder ended, and failed -32001. DeferAsync runs after every pending
    /// PersistAsync handler, at once when none is pending.</summary>
    private void StopForHandOff() => DeferAsync(CommandHandOff.Instance, _ =>
    {
        if (_state.IsStarted && !_state.IsEnded)
        {
            WakeThroughRegion(TimeSpan.Zero);
        }

        Context.Stop(Self);
    });

    private void WakeAfterJournalFailure()
    {
        if (_state.IsStarted && !_state.IsEnded)
        {
            WakeThroughRegion(JournalFailureRestartDelay);
        }
    }

    /// <summary>The command region (NodeHost passes it); in tests without sharding, the parent stands in for it.</summary>
    private void WakeThroughRegion(TimeSpan delay)
    {
        var region = _commandRegion ?? Context.Parent;
        var wake = new ResumeCommand(CmdId);
        if (delay == TimeSpan.Zero)
        {
            HandOverRoute.Tell(Context, region, ShardRegions.Command, wake);
        }
        else
        {
            Context.System.Scheduler.ScheduleTellOnce(delay, region, wake, ActorRefs.NoSender);
        }
    }
}
