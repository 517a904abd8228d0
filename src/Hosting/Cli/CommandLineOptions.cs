using Akka.Configuration;

namespace CallCluster.Hosting;

/// <summary>What a CallCluster process was started with: its <c>--config</c> files (later ones win) and the settings
/// given as flags (<see cref="Cli.SettingOptions"/>), which win over every file and environment variable.</summary>
public sealed record CommandLineOptions(IReadOnlyList<string> ConfigFiles, IReadOnlyDictionary<string, string> Settings)
{
    public static CommandLineOptions None { get; } = new([], new Dictionary<string, string>());

    /// <summary>The flags, layered over <paramref name="config"/>.</summary>
    public Config Apply(Config config)
    {
        var flags = string.Join("\n", Settings.Select(s => $"{s.Key} = {Quote(s.Value)}"));
        return flags.Length == 0 ? config : ConfigurationFactory.ParseString(flags).WithFallback(config);
    }

    /// <summary>Sets each flag's environment variable in this process too: a few defaults give way to a free port when
    /// taken and not asked for (the admin port, the sandbox simulator's MI port), and they ask the environment.</summary>
    public void ExportToEnvironment()
    {
        foreach (var setting in Cli.SettingOptions.All)
        {
            if (Settings.TryGetValue(setting.HoconPath, out var value))
            {
                Environment.SetEnvironmentVariable(setting.EnvironmentVariable, value);
            }
        }
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
