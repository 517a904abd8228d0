using Akka.Actor;
using Akka.Event;

namespace CallCluster.Node.OpenSips;

/// <summary>The cluster's one EVI subscription, run as a cluster singleton on the oldest call node, so OpenSIPS sends
/// each event once. It owns a <see cref="SubscriptionKeeper"/> for its node's socket.
/// When the singleton is handed over because its node leaves, it stops at once and leaves its subscription in place:
/// the leaving node's listener keeps routing events until the next singleton has subscribed, and only then does the
/// leaving node withdraw its own (<see cref="SubscriptionHandOver"/>: make before break). Withdrawing first left a gap
/// of about a second in which OpenSIPS sent events to nobody, and an E_CALL_TRANSFER start lost there failed a
/// CallStart in rolling restarts. During the overlap OpenSIPS sends each event twice; every consumer takes duplicates.
/// When no node takes over (the last call node stops), the subscription expires on its own, as a crashed node's does.
/// States: Keeping → HandingOver (only when asked to unsubscribe explicitly).</summary>
public sealed class SubscriptionSingleton : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _keeper;

    public SubscriptionSingleton(IActorRef miPool, string socket, SubscriptionSettings settings)
    {
        _keeper = Context.ActorOf(SubscriptionKeeper.Props(miPool, socket, settings), "keeper");
        _log.Info("EVI subscription singleton started here for {0}", socket);
        Become(Keeping);
    }

    public static Props Props(IActorRef miPool, string socket, SubscriptionSettings settings) =>
        Akka.Actor.Props.Create(() => new SubscriptionSingleton(miPool, socket, settings));

    /// <summary>The termination message given to the singleton manager.</summary>
    public sealed record HandOver
    {
        public static readonly HandOver Instance = new();

        private HandOver()
        {
        }
    }

    private void Keeping()
    {
        Receive<GetSubscriptionStatus>(query => _keeper.Forward(query));
        Receive<HandOver>(_ =>
        {
            _log.Info("EVI subscription singleton handed over: the subscription stays until the next one has subscribed");
            Context.Stop(Self);
        });
        Receive<Unsubscribe>(_ =>
        {
            _keeper.Tell(Unsubscribe.Instance);
            Context.SetReceiveTimeout(TimeSpan.FromSeconds(15));
            Become(HandingOver);
        });
    }

    private void HandingOver()
    {
        Receive<GetSubscriptionStatus>(query => _keeper.Forward(query));
        Receive<Unsubscribed>(result =>
        {
            if (!result.Confirmed)
            {
                _log.Warning("EVI unsubscribe not confirmed for {0}; they expire on their own", string.Join(",", result.Failed));
            }

            Context.Stop(Self);
        });
        Receive<ReceiveTimeout>(_ => Context.Stop(Self));
    }
}
