using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using CallCluster.Hosting.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallCluster.Hosting.Composition;

/// <summary>The composition root every CallCluster process shares: a .NET Generic Host whose ActorSystem is Akka.Hosting's
/// (<c>AddAkka</c>), configured by the process's HOCON layers, logging through the host's one log sink
/// (<see cref="CallClusterLogging"/>), and whose features are the <c>With…</c> builder extensions given by the process.
/// Akka.Hosting runs CoordinatedShutdown when the host stops and stops the host when the ActorSystem terminates.</summary>
public static class CallClusterHost
{
    /// <param name="config">The process's configuration: its HOCON layers with the command line over them.</param>
    /// <param name="ownsProcess">Signals (SIGTERM, Ctrl-C) stop the host (the executables); false: the caller stops it
    /// (a test that runs a node inside its own process).</param>
    /// <param name="features">The process's features, in start order (each a <c>With…</c> extension).</param>
    public static IHost Build(Config config, bool ownsProcess, Action<AkkaConfigurationBuilder, IServiceProvider> features)
    {
        // Empty: HOCON is the configuration, so neither appsettings nor a content-root file watcher (EmbeddedWebHost says
        // what the watcher cost).
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        CallClusterLogging.Configure(builder.Logging, CallClusterLogging.IsJson(config));
        // CoordinatedShutdown's phase timeouts bound the stop (k8s/README.md: 85 s); the host must not give up before.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = Timeout.InfiniteTimeSpan);
        if (ownsProcess)
        {
            // The console lifetime (the default) stops the host on SIGTERM and Ctrl-C; its status lines repeat ours.
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        }
        else
        {
            builder.Services.AddSingleton<IHostLifetime, Web.CallerOwnedLifetime>();
        }

        var systemConfig = ClusterBootstrap.SystemConfig(config);
        builder.Services.AddAkka(ClusterBootstrap.SystemName, (akka, services) =>
        {
            var loggers = services.GetRequiredService<ILoggerFactory>();
            AkkaMinimalLogBridge.Sink = loggers;
            akka.AddHocon(CallClusterLogging.AkkaLoggers.WithFallback(systemConfig), HoconAddMode.Prepend)
                .AddSetup(CallClusterLogging.Setup(loggers))
                .ConfigureLoggers(l =>
                {
                    l.LogLevel = Akka.Event.Logging.LogLevelFor(systemConfig.GetString("akka.loglevel", "INFO"));
                    l.ClearLoggers();
                    l.AddLogger<AkkaLogBridge>();
                });
            features(akka, services);
        });
        return builder.Build();
    }

    /// <summary>Starts the host: the ActorSystem, then each feature in order. A failure the operator can fix (a port in
    /// use) comes out as the <see cref="StartupException"/> ProcessMain prints as one line, after the host has stopped.</summary>
    /// <param name="config">The configuration <paramref name="host"/> was built with (it names the remoting port).</param>
    public static async Task<ActorSystem> StartAsync(IHost host, Config config, CancellationToken ct = default)
    {
        var system = CreateSystem(host, config);
        await host.StartAsync(ct).ConfigureAwait(false);
        if (StartupSteps.FailureOf(system) is { } failure)
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return system;
    }

    /// <summary>The host's ActorSystem, created now, before the host starts, so that a remoting port in use is reported as
    /// the other ports are (Akka.Hosting would print the exception with its stack trace).</summary>
    public static ActorSystem CreateSystem(IHost host, Config config)
    {
        try
        {
            return host.Services.GetRequiredService<ActorSystem>();
        }
        catch (Exception e) when (PortInUse.Is(e))
        {
            var remote = config.GetConfig("akka.remote.dot-netty.tcp");
            throw PortInUse.Error("Cluster (Akka remoting, TCP)", $"{remote?.GetString("hostname")}:{remote?.GetInt("port")}",
                "akka.remote.dot-netty.tcp.port or CALLCLUSTER_AKKA_PORT", e);
        }
    }

    /// <summary>Runs the process until the host stops (SIGTERM, Ctrl-C, or the ActorSystem terminating).</summary>
    public static async Task RunAsync(IHost host, Config config)
    {
        using (host)
        {
            var system = await StartAsync(host, config).ConfigureAwait(false);
            using var signals = ShutdownSignals.LogSignals(system);
            await host.WaitForShutdownAsync().ConfigureAwait(false);
            await system.WhenTerminated.ConfigureAwait(false);
        }
    }
}
