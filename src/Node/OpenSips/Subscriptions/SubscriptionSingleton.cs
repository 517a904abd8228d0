using Akka.Actor;
using Akka.Event;

namespace CallCluster.Node.OpenSips;

/// <summary>The cluster's one EVI subscription, run as a cluster singleton on the oldest call node, so OpenSIPS sends
/// each event once. It owns a <see cref="SubscriptionKeeper"/> for its node's socket; when the singleton is handed
/// over (the node leaves) it withdraws the subscription before stopping, and the singleton manager starts the next one
/// only after that. A crashed node's subscription cannot be withdrawn: it points at a dead socket until it expires.
/// States: Keeping → HandingOver.</summary>
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
