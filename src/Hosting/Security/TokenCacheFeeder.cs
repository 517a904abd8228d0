using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using CallCluster.Contracts.Security;

namespace CallCluster.Hosting.Security;

/// <summary>Keeps a process's <see cref="TokenCache"/> in step with the token registry (a persistent cluster singleton on
/// the call nodes, docs/security.md): every change is published on <see cref="Topic"/> and reaches each process
/// directly (well under the 1 s the issue allows); a poll of the whole set every <c>registry-poll</c> covers a lost
/// message and a process that joined after the last change.</summary>
public sealed class TokenCacheFeeder : ReceiveActor, IWithTimers
{
    public const string Topic = "callcluster-api-tokens";

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public TokenCacheFeeder(TokenCache cache, IActorRef registry, TimeSpan poll)
    {
        Receive<TokenSet>(set =>
        {
            var wasKnown = cache.Version;
            cache.Apply(set);
            if (set.Version > wasKnown)
            {
                _log.Info("API tokens: {0} issued token(s), registry version {1}", set.Tokens.Count, set.Version);
            }
        });
        Receive<Poll>(_ => registry.Tell(GetTokens.Instance, Self));
        Receive<SubscribeAck>(_ => { });
        Timers.StartPeriodicTimer("poll", Poll.Instance, TimeSpan.Zero, poll);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TokenCache cache, IActorRef registry, TimeSpan poll) =>
        Akka.Actor.Props.Create(() => new TokenCacheFeeder(cache, registry, poll));

    protected override void PreStart()
    {
        // A process that fails to start (a port in use) shuts down at once, and DistributedPubSub's mediator refuses to
        // start on a cluster node that is shutting down, with a stack trace in the log: do not ask for it then.
        if (CoordinatedShutdown.Get(Context.System).ShutdownReason is null && !Akka.Cluster.Cluster.Get(Context.System).IsTerminated)
        {
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(Topic, Self));
        }
    }

    private sealed class Poll
    {
        public static readonly Poll Instance = new();
    }
}
