using Akka.Event;
using Microsoft.Extensions.Logging;

namespace CallCluster.Hosting.Logging;

/// <summary>Akka's minimal logger (<c>akka.stdout-logger-class</c>), which writes what is logged while the real loggers
/// start and after they stop (Akka 1.5.74 uses it at shutdown whatever <c>akka.stdout-loglevel</c> says: "Remoting shut
/// down"). Its default prints Akka's own text format to stdout; this one hands the events to the process's log sink, so
/// even those lines keep the one format. Akka creates it by type name, outside the ActorSystem, hence the static sink.</summary>
public sealed class AkkaMinimalLogBridge : MinimalLogger
{
    /// <summary>The process's factory (CallClusterLogging.CreateFactory sets it); writes after its disposal still reach
    /// the console (its processor writes synchronously once its queue is closed).</summary>
    internal static volatile ILoggerFactory? Sink;

    protected override void Log(object message)
    {
        if (message is LogEvent log && Sink is { } sink)
        {
            AkkaLogBridge.Write(sink, log);
        }
    }
}
