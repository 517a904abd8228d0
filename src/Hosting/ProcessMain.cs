using CallCluster.Hosting.Cli;

namespace CallCluster.Hosting;

/// <summary>The shared entry point of CallCluster processes: parse the command line (a mistake, an unknown flag
/// included, is exit code 2 with the error and a usage line on stderr; --help prints the help, exit 0), then run the
/// process body with its options. A start-up failure the operator can fix (a port in use, a missing configuration
/// file) is one line on stderr and exit code 2, not a stack trace.</summary>
public static class ProcessMain
{
    public static async Task<int> RunAsync(string[] args, string processName, ProcessCommandLine commandLine,
        Func<CommandLineOptions, Task<int>> body)
    {
        var parsed = commandLine.Root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync(processName + ": " + error.Message).ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync($"usage: {commandLine.Executable} [options] (--help lists them)").ConfigureAwait(false);
            return 2;
        }

        if (parsed.Action is not null)
        {
            // --help, or a directive such as [suggest] (shell completion): System.CommandLine answers and the process
            // does not start.
            return await parsed.InvokeAsync().ConfigureAwait(false);
        }

        try
        {
            var options = commandLine.Read(parsed);
            options.ExportToEnvironment();
            return await body(options).ConfigureAwait(false);
        }
        catch (Exception e) when (StartupMessage(e) is { } message)
        {
            await Console.Error.WriteLineAsync(processName + ": " + message).ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>The one line to print for a start-up failure the operator can fix; null for anything else (a bug keeps
    /// its stack trace).</summary>
    public static string? StartupMessage(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case StartupException s:
                    return s.Message;
                case FileNotFoundException f when f.Message.StartsWith("configuration file not found", StringComparison.Ordinal):
                    return f.Message;
            }
        }

        return PortInUse.Is(e) ? "a port is already in use: " + e.GetBaseException().Message : null;
    }
}
