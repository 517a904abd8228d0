namespace CallCluster.Hosting;

/// <summary>The shared entry point of CallCluster processes: parse the command line (exit 2 with the usage on a
/// mistake, 0 for --help), then run the process body with its options.</summary>
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

        return await body(options).ConfigureAwait(false);
    }

    /// <summary>The part of every usage text about configuration.</summary>
    public const string ConfigUsage = "  --config FILE  HOCON layered over the defaults in hocon/ (repeatable; later files win)\n";
}
