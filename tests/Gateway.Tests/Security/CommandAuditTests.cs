using CallCluster.Gateway.Security;
using Microsoft.Extensions.Logging;

namespace CallCluster.Gateway.Tests.Security;

/// <summary>The audit line's level: INFO names an identified caller; an anonymous caller (tokens off) goes to DEBUG.</summary>
public sealed class CommandAuditTests
{
    [Fact]
    public void An_identified_caller_is_audited_at_info_an_anonymous_one_at_debug()
    {
        var logger = new RecordingLogger();
        var audit = new CommandAudit(logger);

        audit.Command("crm", "conn-1", "CallEnd", "cmd-1", CommandAudit.Started);
        audit.Command("anonymous", "conn-2", "CallEnd", "cmd-2", CommandAudit.Started, anonymous: true);

        Assert.Equal(
            [
                (LogLevel.Information, "audit token_id=crm connection=conn-1 method=CallEnd cmd_id=cmd-1 outcome=started"),
                (LogLevel.Debug, "audit token_id=anonymous connection=conn-2 method=CallEnd cmd_id=cmd-2 outcome=started"),
            ],
            logger.Lines);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel, string)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
