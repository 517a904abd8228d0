using System.Collections.Concurrent;
using System.Collections.Frozen;
using CallCluster.Contracts.Security;

namespace CallCluster.Hosting.Security;

/// <summary>The tokens this process accepts: the configured ones and the registry's latest <see cref="TokenSet"/>.
/// Read by every HTTP request and connection, written only by <see cref="TokenCacheFeeder"/> (an actor) and at
/// construction: a thread-safe cache fed by an actor, swapped whole so a reader never sees half an update.</summary>
public sealed class TokenCache
{
    private readonly IReadOnlyList<ApiToken> _configured;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _watches = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Snapshot _current;

    private sealed record Snapshot(FrozenDictionary<string, ApiToken> ByHash, FrozenDictionary<string, ApiToken> ById, long Version);

    /// <param name="hasRegistry">False where no registry will ever answer (a process outside a cluster): only the
    /// configured tokens count and <see cref="Loaded"/> is complete at once.</param>
    public TokenCache(IReadOnlyList<ApiToken> configured, bool hasRegistry)
    {
        _configured = configured;
        _current = Build([], -1);
        if (!hasRegistry) _loaded.TrySetResult();
    }

    /// <summary>Completes when the registry's set has been received once.</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>True when any token exists, configured or issued: then every client needs one (docs/security.md).</summary>
    public bool HasTokens => _current.ById.Count > 0;

    public long Version => _current.Version;

    /// <summary>The token whose secret this is, unless unknown or expired.</summary>
    public ApiToken? Authenticate(string secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 512) return null;
        return _current.ByHash.TryGetValue(TokenSecret.Hash(secret), out var token) && !token.ExpiredAt(NowMs()) ? token : null;
    }

    /// <summary>The current record of a token by id (null: revoked, expired or never known).</summary>
    public ApiToken? Find(string id) =>
        _current.ById.TryGetValue(id, out var token) && !token.ExpiredAt(NowMs()) ? token : null;

    /// <summary>Cancelled when the token with this id is revoked or replaced; connections opened with it close then.</summary>
    public CancellationToken Watch(string id)
    {
        var cts = _watches.GetOrAdd(id, _ => new CancellationTokenSource());
        // Revoked between the client's authentication and this call: the token is already gone.
        if (Find(id) is null) Cancel(id);
        return cts.Token;
    }

    /// <summary>Takes the registry's set (called by the feeder actor only); an older set than the current one is ignored.</summary>
    public void Apply(TokenSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var before = _current;
        if (set.Version < before.Version)
        {
            _loaded.TrySetResult();
            return;
        }

        var next = Build(set.Tokens, set.Version);
        _current = next;
        _loaded.TrySetResult();
        foreach (var (id, token) in before.ById)
        {
            if (!next.ById.TryGetValue(id, out var now) || !Same(now, token))
            {
                Cancel(id);
            }
        }
    }

    /// <summary>Field by field: record equality compares the scope and domain lists by reference, and every set that
    /// crossed the network (each publication, each poll) has new lists, which would close every connection.</summary>
    private static bool Same(ApiToken a, ApiToken b) =>
        a.Sha256 == b.Sha256 && a.ExpiresAtMs == b.ExpiresAtMs && a.MaxInFlight == b.MaxInFlight
        && a.CommandsPerSecond == b.CommandsPerSecond && a.Scopes.SequenceEqual(b.Scopes) && a.Domains.SequenceEqual(b.Domains);

    private void Cancel(string id)
    {
        if (_watches.TryRemove(id, out var cts))
        {
            cts.Cancel();
            cts.Dispose();
        }
    }

    private Snapshot Build(IReadOnlyList<ApiToken> issued, long version)
    {
        var byId = new Dictionary<string, ApiToken>(StringComparer.Ordinal);
        // A configured token wins over an issued one of the same id: configuration is what the operator deployed.
        foreach (var t in _configured.Concat(issued)) byId.TryAdd(t.Id, t);
        var byHash = new Dictionary<string, ApiToken>(StringComparer.Ordinal);
        foreach (var t in byId.Values) byHash.TryAdd(t.Sha256, t);
        return new Snapshot(byHash.ToFrozenDictionary(StringComparer.Ordinal), byId.ToFrozenDictionary(StringComparer.Ordinal), version);
    }

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
