using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Security;
using CallCluster.Hosting.Security;

namespace CallCluster.Node.Security;

/// <summary>The tokens issued with <c>callctl tokens add</c>, one persistent actor for the whole cluster (a cluster
/// singleton on the call nodes). Why a persistent singleton rather than Akka.DistributedData with a durable store:
/// the journal (SQLite or PostgreSQL) is already durable and shared, so the tokens survive a restart of the whole
/// cluster and of every pod in Kubernetes, where DistributedData's durable store (a local LMDB file per node) would not;
/// and issue/revoke are rare, so one writer is no bottleneck. Each change is published, whole, on
/// <see cref="TokenCacheFeeder.Topic"/>: DistributedPubSub delivers it straight to every process (no gossip round), well
/// inside the 1 s the issue allows; every process also polls the set, in case a publication was lost.</summary>
public sealed class TokenRegistry : ReceivePersistentActor
{
    public const string Id = "api-token-registry";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ImmutableSortedDictionary<string, ApiToken> _tokens = ImmutableSortedDictionary.Create<string, ApiToken>(StringComparer.Ordinal);

    public TokenRegistry()
    {
        Recover<TokenIssued>(Apply);
        Recover<TokenRevoked>(Apply);
        Recover<RecoveryCompleted>(_ => Publish());

        Command<IssueToken>(issue => Persist(new TokenIssued(issue.Token), e =>
        {
            Apply(e);
            // Ids and scopes only: the registry never sees a secret, and its hash is not logged either.
            _log.Info("API token {0} issued (scopes {1}, domains {2})", e.Token.Id, string.Join(",", e.Token.Scopes),
                e.Token.Domains.Count == 0 ? "any" : string.Join(",", e.Token.Domains));
            Sender.Tell(new TokenRegistryAck(true, $"token {e.Token.Id} issued"));
            Publish();
        }));
        Command<RevokeToken>(revoke =>
        {
            if (!_tokens.ContainsKey(revoke.Id))
            {
                Sender.Tell(new TokenRegistryAck(false, $"no issued token has the id '{revoke.Id}' (configured tokens are removed from configuration)"));
                return;
            }

            Persist(new TokenRevoked(revoke.Id), e =>
            {
                Apply(e);
                _log.Info("API token {0} revoked", e.Id);
                Sender.Tell(new TokenRegistryAck(true, $"token {e.Id} revoked"));
                Publish();
            });
        });
        Command<GetTokens>(_ => Sender.Tell(Current()));
    }

    public override string PersistenceId => Id;

    public static Props Props() => Akka.Actor.Props.Create(() => new TokenRegistry());

    private void Apply(TokenIssued e) => _tokens = _tokens.SetItem(e.Token.Id, e.Token);

    private void Apply(TokenRevoked e) => _tokens = _tokens.Remove(e.Id);

    /// <summary>The journal's sequence number orders the sets: it grows with every change, on whichever node the singleton runs.</summary>
    private TokenSet Current() => new(_tokens.Values.ToList(), LastSequenceNr);

    private void Publish() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(TokenCacheFeeder.Topic, Current()));
}
