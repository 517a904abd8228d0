using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Event;
using CallCluster.Hosting.Logging;
using Microsoft.Extensions.Logging;

namespace CallCluster.Node.Tests.Hosting;

/// <summary>Akka's log events reach the process's one Microsoft.Extensions.Logging sink, with the template's named
/// values as structured fields (what the JSON formatter writes as fields and a collector indexes: cmd_id, callid).</summary>
public sealed class LogBridgeTests
{
    [Fact]
    public async Task An_akka_log_event_reaches_the_logger_factory_with_its_named_values_as_fields()
    {
        var captured = new CapturingProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(captured));
        var bootstrap = BootstrapSetup.Create().WithConfig(CallClusterLogging.AkkaLoggers);
        var system = ActorSystem.Create("log-bridge", ActorSystemSetup.Create(bootstrap, CallClusterLogging.Setup(loggers)));
        try
        {
            Akka.Event.Logging.GetLogger(system, "CommandEntity").Info("Command {cmd_id} ({method}) failed", "c-42", "CallEnd");

            var entry = await captured.FirstAsync(e => e.Message.Contains("c-42", StringComparison.Ordinal));
            Assert.Equal("Command c-42 (CallEnd) failed", entry.Message);
            Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, entry.Level);
            Assert.StartsWith("CommandEntity", entry.Fields["source"]?.ToString(), StringComparison.Ordinal);
            Assert.Equal("c-42", entry.Fields["cmd_id"]?.ToString());
            Assert.Equal("CallEnd", entry.Fields["method"]?.ToString());
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void Log_format_json_is_read_from_callcluster_log_format()
    {
        Assert.True(CallClusterLogging.IsJson(Akka.Configuration.ConfigurationFactory.ParseString("callcluster.log-format = json")));
        Assert.False(CallClusterLogging.IsJson(Akka.Configuration.ConfigurationFactory.ParseString("callcluster.log-format = text")));
        Assert.Equal(["CallCluster.Hosting.Logging.AkkaLogBridge, CallCluster.Hosting"], CallClusterLogging.AkkaLoggers.GetStringList("akka.loggers"));
    }

    private sealed record Entry(string Category, Microsoft.Extensions.Logging.LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Fields);

    private sealed class CapturingProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<Entry> _entries = new();
        private readonly SemaphoreSlim _added = new(0);

        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, this);

        public void Dispose() => _added.Dispose();

        public async Task<Entry> FirstAsync(Func<Entry, bool> match)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                if (_entries.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                await _added.WaitAsync(timeout.Token);
            }
        }

        private sealed class Capturing(string category, CapturingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                Func<TState, Exception?, string> formatter)
            {
                // The JSON console formatter writes a state's fields only when it is a read-only collection of pairs.
                var fields = state is IReadOnlyCollection<KeyValuePair<string, object?>> pairs
                    ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value)
                    : new Dictionary<string, object?>();
                owner._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), fields));
                owner._added.Release();
            }
        }
    }
}
