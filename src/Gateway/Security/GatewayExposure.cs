using Akka.Actor;
using CallCluster.Hosting;
using CallCluster.Hosting.Security;
using Microsoft.Extensions.Logging;

namespace CallCluster.Gateway.Security;

/// <summary>The safe-defaults rule (docs/security.md): a gateway reachable from other hosts needs a token; the sandbox on
/// loopback does not. And what ends a connection when its token goes.</summary>
public static class GatewayExposure
{
    /// <summary>How long a non-loopback gateway with no configured token waits for the token registry's set before deciding
    /// there is none (the registry is a singleton on the call nodes; a fresh cluster elects it in a second or two).</summary>
    private static readonly TimeSpan RegistryWait = TimeSpan.FromSeconds(15);

    public static bool IsLoopback(string host) => SafeBind.IsLoopback(host);

    /// <summary>Throws a one-line <see cref="StartupException"/> when the gateway would serve other hosts with no token
    /// configured or issued, unless --insecure.</summary>
    public static async Task EnsureSafeAsync(CallClusterSecurity security, GatewaySettings settings, bool loopback, CancellationToken ct)
    {
        if (security.Cache.HasTokens)
        {
            return;
        }

        if (loopback || security.Settings.Insecure)
        {
            // Whether anonymous clients may come in depends on the issued tokens too: wait for them (bounded) so the
            // first clients are not refused while the registry answers.
            await WaitForRegistryAsync(security, ct).ConfigureAwait(false);
            return;
        }

        await WaitForRegistryAsync(security, ct).ConfigureAwait(false);

        if (!security.Cache.HasTokens)
        {
            throw new StartupException(
                $"the Call API would listen on {settings.Host}:{settings.Port} with no API token, open to anyone who reaches it: " +
                "set callcluster.security.tokens or CALLCLUSTER_TOKENS (`callctl tokens new` makes one), or bind " +
                "CALLCLUSTER_WS_HOST=127.0.0.1, or start with --insecure");
        }
    }

    private static async Task WaitForRegistryAsync(CallClusterSecurity security, CancellationToken ct)
    {
        try
        {
            await security.Cache.Loaded.WaitAsync(RegistryWait, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // No registry answer yet: decide on what is configured; the set is applied whenever it arrives.
        }
    }

    /// <summary>Cancelled when the caller's token is revoked, replaced or expires; null for callers without a token.</summary>
    public static CancellationTokenSource? RevocationOf(CallClusterSecurity security, CallerIdentity caller)
    {
        if (!caller.HasToken) return null;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(security.Cache.Watch(caller.TokenId));
        if (security.Cache.Find(caller.TokenId) is { ExpiresAtMs: > 0 } token)
        {
            var left = token.ExpiresAtMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            cts.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(0, left)));
        }

        return cts;
    }

    /// <summary>--insecure on a non-loopback address: a warning now and every minute while no token exists.</summary>
    public static ICancelable WarnWhileOpen(ActorSystem system, CallClusterSecurity security, ILogger logger, string endpoint) =>
        system.Scheduler.Advanced.ScheduleRepeatedlyCancelable(TimeSpan.Zero, TimeSpan.FromMinutes(1), () =>
        {
            if (!security.Cache.HasTokens)
            {
                logger.LogWarning("--insecure: the Call API on {Endpoint} accepts every client without a token; anyone who " +
                    "reaches it can control calls (set callcluster.security.tokens)", endpoint);
            }
        });
}
