using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace CallCluster.Hosting.Logging;

/// <summary>The one log sink of a CallCluster process: a Microsoft.Extensions.Logging factory writing to stdout, which
/// Akka's own logging (through <see cref="AkkaLogBridge"/>, Akka.Hosting's logger) and every embedded ASP.NET host share.
/// <c>callcluster.log-format</c> (env CALLCLUSTER_LOG_FORMAT) picks the formatter: <c>text</c>, one line per entry, or
/// <c>json</c>, one JSON object per line for log collectors. Quiet at INFO: the framework's per-request and lifetime
/// chatter is kept to warnings.</summary>
public static class CallClusterLogging
{
    public const string FormatPath = "callcluster.log-format";

    public static bool IsJson(Config config) =>
        string.Equals(config.GetString(FormatPath, "text"), "json", StringComparison.OrdinalIgnoreCase);

    /// <summary>A factory writing in the configured format; the caller disposes it (that flushes the console queue).</summary>
    public static ILoggerFactory CreateFactory(Config config)
    {
        var loggers = LoggerFactory.Create(logging => Configure(logging, IsJson(config)));
        AkkaMinimalLogBridge.Sink = loggers;
        return loggers;
    }

    public static void Configure(ILoggingBuilder logging, bool json)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);
        // ASP.NET logs four INFO lines per request, a WebSocket included, and request lines carry the query string, where
        // a browser's once-only ticket travels (docs/security.md); the hosts' lifetime lines repeat what we log ourselves.
        logging.AddFilter("Microsoft", LogLevel.Warning);
        // A failed start (a port in use) is reported as one line naming the setting to change (ProcessMain,
        // docs/faults-and-bad-input.md); the host's own error entry would add a stack trace.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        if (json)
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
    }

    /// <summary>Akka's side of the bridge: its log events go to the factory of <see cref="Setup"/>, and what it logs
    /// while its loggers start and stop goes to the same sink (<see cref="AkkaMinimalLogBridge"/>), so no line of Akka's
    /// own text format slips in. Layered over the ActorSystem's configuration.</summary>
    public static Config AkkaLoggers { get; } = ConfigurationFactory.ParseString($$"""
        akka.loggers = ["{{Name(typeof(AkkaLogBridge))}}"]
        akka.stdout-logger-class = "{{Name(typeof(AkkaMinimalLogBridge))}}"
        """);

    private static string Name(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    /// <summary>The ActorSystem setup that hands <paramref name="loggers"/> to <see cref="AkkaLogBridge"/>.</summary>
    public static LoggerFactorySetup Setup(ILoggerFactory loggers) => new(loggers);

    /// <summary>The factory the ActorSystem logs to, for the hosts it embeds; a system started without one (tests) gets a
    /// factory of its own, disposed when it terminates.</summary>
    public static ILoggerFactory For(ActorSystem system)
    {
        if (system.Settings.Setup.Get<LoggerFactorySetup>() is { HasValue: true } setup)
        {
            return setup.Value.LoggerFactory;
        }

        var own = CreateFactory(system.Settings.Config);
        system.WhenTerminated.ContinueWith(_ => own.Dispose(), TaskScheduler.Default);
        return own;
    }
}
