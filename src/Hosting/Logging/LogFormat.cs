using Akka.Configuration;

namespace CallCluster.Hosting.Logging;

/// <summary>Reads <c>callcluster.log-format</c> (text | json) and turns it into configuration for Akka's loggers
/// and the embedded ASP.NET hosts.</summary>
public static class LogFormat
{
    public static bool IsJson(Config config) =>
        string.Equals(config.GetString("callcluster.log-format", "text"), "json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Layered over the configuration when JSON is asked for.</summary>
    public static Config AkkaLoggers(Config config) => IsJson(config)
        ? ConfigurationFactory.ParseString("akka.loggers = [\"CallCluster.Hosting.Logging.JsonLogger, CallCluster.Hosting\"]").WithFallback(config)
        : config;
}
