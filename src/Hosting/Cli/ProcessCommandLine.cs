using System.CommandLine;

namespace CallCluster.Hosting.Cli;

/// <summary>A process's command line, built with System.CommandLine from <see cref="SettingOptions"/>: <c>--config</c>,
/// one flag per setting of the layers the process loads (help names each flag's environment variable and HOCON key),
/// <c>--help</c>, and the <c>[suggest]</c> directive that shell completion (dotnet-suggest) calls.</summary>
public sealed class ProcessCommandLine
{
    private readonly Option<string[]> _config = new("--config")
    {
        Description = "HOCON layered over the defaults in hocon/ (repeatable; later files win; flags win over files)",
        HelpName = "FILE",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly List<(SettingOption Setting, Option Option)> _settings = [];

    public ProcessCommandLine(string executable, string description, IEnumerable<string> layers)
    {
        Root = new RootCommand(description + EnvironmentOnly(layers)) { _config };
        Root.TreatUnmatchedTokensAsErrors = true;
        foreach (var setting in SettingOptions.For(layers).Where(s => s.Flag is not null))
        {
            Option option = setting.HoconPath == "callcluster.security.insecure"
                ? new Option<bool>(setting.Flag!) { Description = setting.HelpText }
                : new Option<string>(setting.Flag!) { Description = setting.HelpText, HelpName = "value" };
            Root.Options.Add(option);
            _settings.Add((setting, option));
        }

        Executable = executable;
    }

    public RootCommand Root { get; }

    /// <summary>The name in usage lines, e.g. CallCluster.Node.</summary>
    public string Executable { get; }

    /// <summary>What the parsed command line asks for.</summary>
    public CommandLineOptions Read(ParseResult parsed)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (setting, option) in _settings)
        {
            switch (option)
            {
                case Option<bool> flag when parsed.GetValue(flag):
                    settings[setting.HoconPath] = "on";
                    break;
                case Option<string> valued when parsed.GetValue(valued) is { } value:
                    settings[setting.HoconPath] = value;
                    break;
            }
        }

        return new CommandLineOptions(parsed.GetValue(_config) ?? [], settings);
    }

    /// <summary>Secrets are read from the environment only; help still names them.</summary>
    private static string EnvironmentOnly(IEnumerable<string> layers)
    {
        var secrets = SettingOptions.For(layers).Where(s => s.Flag is null).ToList();
        return secrets.Count == 0
            ? ""
            : "\n\nFrom the environment only (secrets):\n" +
              string.Join("\n", secrets.Select(s => $"  {s.EnvironmentVariable,-28}{s.Description} [{s.HoconPath}]"));
    }
}
