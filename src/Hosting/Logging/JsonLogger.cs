using System.Text.Json;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace CallCluster.Hosting.Logging;

/// <summary>An Akka logger that writes each log event to stdout as one JSON object per line (timestamp, level,
/// source, thread, message, exception), for log collectors in Kubernetes. Selected with
/// <c>callcluster.log-format = json</c> (env CALLCLUSTER_LOG_FORMAT); the default stays Akka's text lines.</summary>
public sealed class JsonLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly MemoryStream _line = new();
    private readonly Utf8JsonWriter _writer;

    public JsonLogger()
    {
        _writer = new Utf8JsonWriter(_line);
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
    }

    protected override void PostStop()
    {
        _writer.Dispose();
        _stdout.Flush();
        base.PostStop();
    }

    /// <summary>One log event as a JSON object.</summary>
    public static void WriteJson(Utf8JsonWriter writer, LogEvent e)
    {
        writer.WriteStartObject();
        writer.WriteString("timestamp", e.Timestamp.ToUniversalTime().ToString("O"));
        writer.WriteString("level", Level(e.LogLevel()));
        writer.WriteString("source", e.LogSource);
        writer.WriteNumber("thread", e.Thread.ManagedThreadId);
        writer.WriteString("message", e.Message?.ToString() ?? "");
        if (e.Cause is { } cause)
        {
            writer.WriteString("exception", cause.ToString());
        }

        writer.WriteEndObject();
        writer.Flush();
    }

    private void Write(LogEvent e)
    {
        _line.SetLength(0);
        _writer.Reset(_line);
        WriteJson(_writer, e);
        _line.WriteByte((byte)'\n');
        _stdout.Write(_line.GetBuffer(), 0, (int)_line.Length);
        _stdout.Flush();
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.DebugLevel => "debug",
        LogLevel.InfoLevel => "info",
        LogLevel.WarningLevel => "warning",
        _ => "error",
    };
}
