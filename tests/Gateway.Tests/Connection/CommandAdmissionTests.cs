using CallCluster.Gateway.Connection;
using CallCluster.Gateway.Security;

namespace CallCluster.Gateway.Tests.Connection;

/// <summary>The connection's cap first, then the token's rate, then its in-flight budget; a refusal says which.</summary>
public sealed class CommandAdmissionTests
{
    [Fact]
    public void The_connections_own_cap_comes_first()
    {
        using var limiter = new TokenLimiter(maxInFlight: 10, perSecond: 10);
        Assert.Equal("too many commands in flight on this connection (max 2)",
            CommandAdmission.TryAdmit(inFlight: 2, maxInFlight: 2, limiter, out var lease));
        Assert.Null(lease);
    }

    [Fact]
    public void Without_a_token_limiter_only_the_cap_applies()
    {
        Assert.Null(CommandAdmission.TryAdmit(inFlight: 0, maxInFlight: 1, limiter: null, out var lease));
        Assert.Null(lease);
    }

    [Fact]
    public void The_tokens_in_flight_budget_holds_a_permit_per_command_until_it_is_returned()
    {
        using var limiter = new TokenLimiter(maxInFlight: 1, perSecond: 100);
        Assert.Null(CommandAdmission.TryAdmit(0, 10, limiter, out var first));
        Assert.NotNull(first);
        Assert.Equal("too many commands in flight for this token (max 1)", CommandAdmission.TryAdmit(0, 10, limiter, out var none));
        Assert.Null(none);

        first.Dispose();
        Assert.Null(CommandAdmission.TryAdmit(0, 10, limiter, out var again));
        again!.Dispose();
    }

    [Fact]
    public void The_tokens_rate_refuses_past_its_burst()
    {
        using var limiter = new TokenLimiter(maxInFlight: 100, perSecond: 2);
        var leases = new List<System.Threading.RateLimiting.RateLimitLease>();
        string? refusal = null;
        // The bucket holds one second's worth (2): the third in a row is refused unless a 100 ms refill came between.
        for (var i = 0; i < 10 && refusal is null; i++)
        {
            refusal = CommandAdmission.TryAdmit(0, 100, limiter, out var lease);
            if (lease is not null) leases.Add(lease);
        }

        Assert.Equal("more than 2 commands per second for this token", refusal);
        leases.ForEach(l => l.Dispose());
    }
}
