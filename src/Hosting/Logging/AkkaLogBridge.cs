using System.Collections;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace CallCluster.Hosting.Logging;

/// <summary>Akka's logger that hands each log event to the process's Microsoft.Extensions.Logging factory (the one in
/// <see cref="LoggerFactorySetup"/>). Akka.Hosting's <see cref="LoggerFactoryLogger"/> does the plumbing (setup lookup,
/// logger start-up); this override fixes what it writes: Akka.Hosting 1.5.73 logs everything under one category
/// (ActorSystem), as Akka's whole text line (level, timestamp, thread and source again inside the message), and with a
/// state the JSON console formatter cannot see fields in (it reads only read-only collections). Here the category is the
/// logging class (so filters and readers can tell Akka.Cluster from CallCluster.Node.Commands), the message is the
/// rendered template alone, and the template's named values (cmd_id, callid) are fields.</summary>
public sealed class AkkaLogBridge : LoggerFactoryLogger
{
    private readonly ILoggerFactory _loggers =
        Context.System.Settings.Setup.Get<LoggerFactorySetup>().Value.LoggerFactory;

    protected override void Log(LogEvent log, ActorPath path) => Write(_loggers, log);

    /// <summary>One Akka log event as a Microsoft.Extensions.Logging entry.</summary>
    public static void Write(ILoggerFactory loggers, LogEvent log)
    {
        // Akka's internals often log under a string source (LogClass DummyClassForStringSources): "Akka" then, the source
        // (e.g. "remoting (akka://callcluster)") stays a field.
        var category = log.LogClass is null || log.LogClass == typeof(DummyClassForStringSources) ? "Akka" : log.LogClass.FullName!;
        var logger = loggers.CreateLogger(category);
        var level = log.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => MelLogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => MelLogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => MelLogLevel.Warning,
            _ => MelLogLevel.Error,
        };
        if (!logger.IsEnabled(level))
        {
            return;
        }

        var state = new Fields(Render(log), log.LogSource, log.GetTemplate(),
            log.TryGetProperties(out var properties) ? properties : null);
        logger.Log(level, default, state, log.Cause, static (s, _) => s.Message);
    }

    /// <summary>The message alone: Akka's LogEvent.ToString() prefixes level, time, thread and source, which the
    /// formatter writes itself.</summary>
    private static string Render(LogEvent log)
    {
        try
        {
            return log.Message?.ToString() ?? "";
        }
        catch (FormatException)
        {
            return log.Message is LogMessage m ? $"malformed log template: {m.Format}" : "malformed log message";
        }
    }

    /// <summary>The entry's fields, in the shape Microsoft.Extensions.Logging's formatters read: the template's named
    /// values, the Akka log source, and {OriginalFormat}.</summary>
    private sealed class Fields : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly List<KeyValuePair<string, object?>> _fields = [];

        public Fields(string message, string source, string template, IReadOnlyDictionary<string, object>? properties)
        {
            Message = message;
            foreach (var (name, value) in properties ?? new Dictionary<string, object>())
            {
                _fields.Add(new(name, value));
            }

            _fields.Add(new("source", source));
            _fields.Add(new("{OriginalFormat}", template));
        }

        public string Message { get; }

        public int Count => _fields.Count;

        public KeyValuePair<string, object?> this[int index] => _fields[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _fields.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}
