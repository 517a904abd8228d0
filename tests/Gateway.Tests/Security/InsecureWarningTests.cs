using Akka.TestKit;
using CallCluster.Contracts.Security;
using CallCluster.Gateway.Security;
using CallCluster.Hosting.Security;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests.Security;

/// <summary>--insecure on a non-loopback address: a warning at start and every minute while no token exists (virtual
/// time: Akka's TestScheduler), silence once one does.</summary>
public sealed class InsecureWarningTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", output)
{
    [Fact]
    public void The_warning_repeats_every_minute_while_the_gateway_is_open_and_stops_when_a_token_exists()
    {
        var scheduler = (TestScheduler)Sys.Scheduler;
        var cache = new TokenCache([], hasRegistry: true);
        var security = new CallClusterSecurity(SecuritySettings.Default with { Insecure = true }, cache, null);
        var logger = new CountingLogger();

        using var _ = new Cancelable(WarnWhileOpen(security, logger));
        scheduler.Advance(TimeSpan.Zero);
        Assert.Equal(1, logger.Warnings);
        scheduler.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, logger.Warnings);
        scheduler.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, logger.Warnings);

        var secret = TokenSecret.Generate();
        cache.Apply(new TokenSet([new ApiToken("ops", TokenSecret.Hash(secret), [Scopes.CallsControl], [])], 1));
        scheduler.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(2, logger.Warnings);
    }

    private Akka.Actor.ICancelable WarnWhileOpen(CallClusterSecurity security, ILogger logger) =>
        GatewayExposure.WarnWhileOpen(Sys, security, logger, "0.0.0.0:5059");

    private sealed class Cancelable(Akka.Actor.ICancelable inner) : IDisposable
    {
        public void Dispose() => inner.Cancel();
    }

    private sealed class CountingLogger : ILogger
    {
        private int _warnings;

        public int Warnings => Volatile.Read(ref _warnings);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning && formatter(state, exception).Contains("--insecure", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _warnings);
            }
        }
    }
}
