using System.Threading.RateLimiting;
using CallCluster.Gateway.Security;

namespace CallCluster.Gateway.Connection;

/// <summary>Whether one more command may start (backpressure at the door, -32004 otherwise): the connection's own cap
/// on commands in flight first, then the token's rate and its in-flight budget over all its connections
/// (docs/security.md). Never waits: a client over a limit is told so at once, nothing queues.</summary>
internal static class CommandAdmission
{
    /// <returns>Null when admitted, with the token's in-flight permit in <paramref name="lease"/> (null without a
    /// limiter), to be returned when the command ends; else why not.</returns>
    public static string? TryAdmit(int inFlight, int maxInFlight, TokenLimiter? limiter, out RateLimitLease? lease)
    {
        lease = null;
        if (inFlight >= maxInFlight)
        {
            return $"too many commands in flight on this connection (max {maxInFlight})";
        }

        if (limiter is null)
        {
            return null;
        }

        using (var rate = limiter.Rate.AttemptAcquire())
        {
            if (!rate.IsAcquired)
            {
                return $"more than {limiter.PerSecond} commands per second for this token";
            }
        }

        var permit = limiter.InFlight.AttemptAcquire();
        if (!permit.IsAcquired)
        {
            permit.Dispose();
            return $"too many commands in flight for this token (max {limiter.MaxInFlight})";
        }

        lease = permit;
        return null;
    }
}
