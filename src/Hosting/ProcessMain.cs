namespace CallCluster.Hosting;

/// <summary>The shared entry point of CallCluster processes: parse the command line (exit 2 with the usage on a
/// mistake, an unknown flag included; 0 for --help), then run the process body with its options. A start-up failure
/// the operator can fix (a port in use, a missing configuration file) is one line on stderr and exit code 2, not a
/// stack trace.</summary>
public static class ProcessMain
{
    public static async Task<int> RunAsync(string[] args, string processName, string usage, Func<CommandLineOptions, Task<int>> body)
    {
        CommandLineOptions options;
        try
        {
            options = CommandLineOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(processName + ": " + e.Message + "\n" + usage).ConfigureAwait(false);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(usage);
            return 0;
        }

        try
        {
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

    /// <summary>The part of every usage text about configuration.</summary>
    public const string ConfigUsage = "  --config FILE  HOCON layered over the defaults in hocon/ (repeatable; later files win)\n" +
        "  --insecure     serve the Call API on a non-loopback address without API tokens (warned every minute)\n";
}
