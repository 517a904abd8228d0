namespace CallCluster.Hosting;

/// <summary>The options every CallCluster process takes: <c>--config FILE</c> (repeatable; later files win) and
/// <c>--help</c>. Anything else is a mistake (a misspelt or made-up flag must not be ignored silently): Parse throws
/// and <see cref="ProcessMain"/> prints it with the usage, exit code 2.</summary>
public sealed record CommandLineOptions(IReadOnlyList<string> ConfigFiles, bool Help)
{
    /// <summary><c>--insecure</c>: serve a non-loopback gateway with no API token (docs/security.md); warned every minute.</summary>
    public bool Insecure { get; init; }

    /// <summary>The flags that are settings, layered over <paramref name="config"/>.</summary>
    public Akka.Configuration.Config Apply(Akka.Configuration.Config config) =>
        Insecure ? Akka.Configuration.ConfigurationFactory.ParseString("callcluster.security.insecure = on").WithFallback(config) : config;

    public static CommandLineOptions Parse(IReadOnlyList<string> args)
    {
        var configFiles = new List<string>();
        var help = false;
        var insecure = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                help = true;
            }
            else if (arg == "--insecure")
            {
                insecure = true;
            }
            else if (arg == "--config" || arg.StartsWith("--config=", StringComparison.Ordinal))
            {
                var file = arg.Length > "--config".Length ? arg["--config=".Length..] : i + 1 < args.Count ? args[++i] : "";
                if (file.Length == 0 || (arg == "--config" && file.StartsWith("--", StringComparison.Ordinal)))
                {
                    throw new ArgumentException("--config needs a file name");
                }

                configFiles.Add(file);
            }
            else if (arg.StartsWith('-'))
            {
                throw new ArgumentException($"unknown option '{arg}'");
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }
        }

        return new CommandLineOptions(configFiles, help) { Insecure = insecure };
    }
}
