using System.CommandLine;
using CallCluster.Hosting.Admin;

namespace CallCluster.Admin;

/// <summary>The callctl command line, callable in-process (tests) with its own writers and environment. The commands,
/// their options and <c>--help</c> are <see cref="CallCtlCommandLine"/>'s; this is the entry point, the exit codes and
/// the output format every command shares.</summary>
public static class CallCtl
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    /// <summary>Parses <paramref name="args"/>; a mistake is one line on <paramref name="stderr"/> and exit code 2;
    /// <c>--help</c> and the <c>[suggest]</c> completion directive answer on <paramref name="stdout"/>; otherwise runs
    /// the command. <paramref name="environment"/> stands for the process's environment variables.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr,
        Func<string, string?>? environment = null, CancellationToken ct = default)
    {
        var commandLine = new CallCtlCommandLine(stdout, stderr, environment ?? Environment.GetEnvironmentVariable);
        var (parsed, errors) = commandLine.Parse(args);
        if (errors.Count > 0)
        {
            // System.CommandLine may report one mistake twice ("Required command was not provided", "Unrecognized
            // command or argument 'x'"): one line all the same.
            return await UsageError(stderr, string.Join("; ", errors));
        }

        return await parsed.InvokeAsync(new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // Exceptions keep their stack trace, and Ctrl-C is Program's (the first one ends a stream cleanly).
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        }, ct);
    }

    /// <summary><c>--endpoint HOST:PORT</c>, else 127.0.0.1 and CALLCLUSTER_ADMIN_PORT, else 9110.</summary>
    public static Uri EndpointUri(string? endpoint, Func<string, string?> environment)
    {
        if (endpoint is null)
        {
            var portText = environment(AdminProtocol.PortVariable);
            var port = AdminProtocol.DefaultPort;
            if (!string.IsNullOrWhiteSpace(portText) && (!int.TryParse(portText, out port) || port is < 1 or > 65535))
            {
                throw new FormatException($"{AdminProtocol.PortVariable}='{portText}' is not a port number");
            }

            return new Uri($"http://{AdminProtocol.DefaultHost}:{port}");
        }

        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out var p) || p is < 1 or > 65535)
        {
            throw new FormatException($"--endpoint '{endpoint}' is not HOST:PORT");
        }

        var host = endpoint[..colon];
        if (host.Contains(':') && !host.StartsWith('['))
        {
            host = "[" + host + "]";
        }

        return new Uri($"http://{host}:{p}");
    }

    internal static async Task<int> UsageError(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("callctl: " + message);
        await stderr.WriteLineAsync("Try 'callctl --help'.");
        return ExitUsage;
    }

    /// <summary>pbm-style: the row's columns joined by " | ".</summary>
    public static string FormatRow(IReadOnlyList<string> row) => string.Join(" | ", row);

    /// <summary>The column names, in the rows' own format, so that a reader (or <c>column -t -s '|'</c>) knows what each
    /// field is; nothing for a result without columns. Scripts that want no header use <c>--json</c>.</summary>
    internal static Task WriteHeaderAsync(TextWriter stdout, IReadOnlyList<string>? columns) =>
        columns is { Count: > 0 } ? stdout.WriteLineAsync(FormatRow(columns)) : Task.CompletedTask;
}
