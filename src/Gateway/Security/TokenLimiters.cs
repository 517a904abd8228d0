using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using CallCluster.Hosting.Security;

namespace CallCluster.Gateway.Security;

/// <summary>One token's limits on this gateway: commands per second (a token bucket refilled every 100 ms, so a burst
/// of one second's worth is allowed) and commands in flight over all its connections.</summary>
public sealed class TokenLimiter(int maxInFlight, int perSecond) : IDisposable
{
    public int MaxInFlight { get; } = maxInFlight;

    public int PerSecond { get; } = perSecond;

    public RateLimiter Rate { get; } = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
    {
        TokenLimit = perSecond,
        TokensPerPeriod = Math.Max(1, perSecond / 10),
        ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    public RateLimiter InFlight { get; } = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = maxInFlight, QueueLimit = 0 });

    public void Dispose()
    {
        Rate.Dispose();
        InFlight.Dispose();
    }
}

/// <summary>The limiters of every token seen by this gateway, shared by its connections (a token's connections share
/// one budget, so opening more connections does not buy more). System.Threading.RateLimiting's limiters are
/// thread-safe and never block when asked with AttemptAcquire, which is how connection actors use them. Limits are
/// per gateway: N gateways let a token run N times as much (docs/security.md).</summary>
public sealed class TokenLimiters(int defaultMaxInFlight, int defaultPerSecond)
{
    private readonly ConcurrentDictionary<string, TokenLimiter> _limiters = new(StringComparer.Ordinal);

    /// <summary>The limiter of a token-bearing caller; null for the sandbox's anonymous clients and address-admitted
    /// ones (they have no token to charge; the per-connection in-flight cap still holds).</summary>
    public TokenLimiter? For(CallerIdentity caller)
    {
        if (!caller.HasToken) return null;
        var inFlight = caller.MaxInFlight > 0 ? caller.MaxInFlight : defaultMaxInFlight;
        var perSecond = caller.CommandsPerSecond > 0 ? caller.CommandsPerSecond : defaultPerSecond;
        var limiter = _limiters.GetOrAdd(caller.TokenId, _ => new TokenLimiter(inFlight, perSecond));
        if (limiter.MaxInFlight == inFlight && limiter.PerSecond == perSecond) return limiter;
        // The token was re-issued with other limits: new connections use the new ones.
        var fresh = new TokenLimiter(inFlight, perSecond);
        _limiters[caller.TokenId] = fresh;
        return fresh;
    }
}
