namespace CallCluster.Hosting;

/// <summary>The options every CallCluster process takes: <c>--config FILE</c> (repeatable; later files win)
/// plus process-specific flags, which are returned as-is for the caller to interpret.</summary>
public sealed record CommandLineOptions(IReadOnlyList<string> ConfigFiles, IReadOnlyDictionary<string, string> Flags, bool Help)
{
    public static CommandLineOptions Parse(IReadOnlyList<string> args)
    {
        var configFiles = new List<string>();
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                help = true;
            }
            else if (arg == "--config")
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException("--config needs a file name");
                }

                configFiles.Add(args[++i]);
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var name = arg[2..];
                var hasValue = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
                flags[name] = hasValue ? args[++i] : "true";
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }
        }

        return new CommandLineOptions(configFiles, flags, help);
    }
}
