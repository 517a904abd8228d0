using Akka.Configuration;

namespace CallCluster.Hosting;

/// <summary>Builds a process's configuration from the HOCON files shipped in <c>hocon/</c> (copied next to the
/// binaries) and the user's <c>--config</c> files. Each file is parsed on its own, so its <c>${?VAR}</c>
/// environment overrides resolve there; the layers are then stacked, user files on top (last one wins).</summary>
public static class ConfigLoader
{
    public static string HoconDirectory => Path.Combine(AppContext.BaseDirectory, "hocon");

    /// <param name="shippedLayers">File names in <see cref="HoconDirectory"/>, lowest priority first.</param>
    /// <param name="userFiles">Paths given with --config, lowest priority first.</param>
    public static Config Load(IEnumerable<string> shippedLayers, IEnumerable<string> userFiles)
    {
        var layers = shippedLayers.Select(name => Path.Combine(HoconDirectory, name)).Concat(userFiles);
        var config = Config.Empty;
        foreach (var file in layers)
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"configuration file not found: {file}", file);
            }

            config = ParseFile(file).WithFallback(config);
        }

        return config;
    }

    public static Config ParseFile(string file) =>
        ConfigurationFactory.ParseString(HoconEnvironment.Apply(File.ReadAllText(file)));

    /// <summary>A comma list such as <c>callcluster.roles</c>, trimmed, empties dropped.</summary>
    public static IReadOnlyList<string> CommaList(Config config, string path) =>
        (config.GetString(path, "") ?? "")
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
