using Akka.Actor;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Commands;

namespace CallCluster.Node.Commands;

/// <summary>The command region's entity (entity id = cmd_id): a plain actor that starts the persistent
/// <see cref="CommandEntity"/> as its one child once it sees this incarnation's first message, and passes every
/// message on to it with its sender.
///
/// Why a shell: Akka.Persistence recovers an entity before it handles any message, and sharding builds the entity
/// from its id alone. Recovery begins with a journal read (the id's highest sequence number) that, for a cmd_id the
/// gateway has just generated, can only answer "nothing". Seeing the first message first lets a StartCommand whose
/// <see cref="StartCommand.FreshCmdId"/> is set start the command without that read
/// (<see cref="Persistence.KnownNewRecovery"/>); every other first message (a client-supplied cmd_id, a resend, a
/// CommandGet, a wake-up) starts it with the full recovery, as before (docs/persistence.md).
///
/// States: <see cref="AwaitingFirstMessage"/> → <see cref="Forwarding"/> → stopped with its child.
/// Passivation and hand-off pass through: the child's <see cref="Passivate"/> goes on to the shard with the shell's
/// own stop message, and the shard's <see cref="CommandHandOff"/> is forwarded like any message; once the child has
/// stopped, so does the shell.</summary>
public sealed class CommandEntityShell : ReceiveActor
{
    /// <summary>The persistent command, told whether its cmd_id is known to be new.</summary>
    private readonly Func<bool, Props> _entityProps;

    /// <summary>Set by the supervisor decider (which runs on this actor's own thread, handling the child's failure):
    /// the child stopped on an exception and must be started again.</summary>
    private bool _childFailed;

    public CommandEntityShell(Func<bool, Props> entityProps)
    {
        _entityProps = entityProps;
        AwaitingFirstMessage();
    }

    public static Props Props(Func<bool, Props> entityProps) =>
        Akka.Actor.Props.Create(() => new CommandEntityShell(entityProps));

    /// <summary>A failing command is stopped, not restarted: a restart would rebuild it from the same props, and a
    /// command started as known-new would skip the read again although it has stored events by then. The shell
    /// starts it again with the full recovery instead (<see cref="Forwarding"/>), which is what a restart did.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ =>
    {
        _childFailed = true;
        return Directive.Stop;
    });

    // ---- State: AwaitingFirstMessage ------------------------------------------------------------------------------

    private void AwaitingFirstMessage()
    {
        ReceiveAny(first =>
        {
            var knownNew = first is StartCommand { FreshCmdId: true };
            var entity = StartEntity(knownNew);
            entity.Forward(first);
            Become(() => Forwarding(entity));
        });
    }

    // ---- State: Forwarding -----------------------------------------------------------------------------------------

    private void Forwarding(IActorRef entity)
    {
        Receive<Passivate>(p => Sender.Equals(entity), _ => Context.Parent.Tell(new Passivate(StopEntity.Instance)));
        Receive<StopEntity>(_ => entity.Tell(PoisonPill.Instance));
        Receive<Terminated>(t => t.ActorRef.Equals(entity), _ =>
        {
            if (!_childFailed)
            {
                Context.Stop(Self);
                return;
            }

            _childFailed = false;
            var next = StartEntity(knownNew: false);
            Become(() => Forwarding(next));
        });
        ReceiveAny(m => entity.Forward(m));
    }

    private IActorRef StartEntity(bool knownNew) => Context.Watch(Context.ActorOf(_entityProps(knownNew), "command"));

    /// <summary>The shard's stop message for a passivating shell: stop the command after the messages it already
    /// has (a PoisonPill to the shell itself would stop the child at once and drop its queued messages).</summary>
    private sealed class StopEntity
    {
        public static readonly StopEntity Instance = new();
    }
}
