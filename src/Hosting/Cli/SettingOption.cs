namespace CallCluster.Hosting.Cli;

/// <summary>One operator setting, named the three ways it can be given: a command-line flag, the environment variable
/// the shipped HOCON reads (<c>key = ${?VAR}</c>), and the HOCON key itself. <see cref="Flag"/> null: environment only
/// (a secret has no place on a command line, where every user of the host can read it).</summary>
/// <param name="Layer">The shipped file in hocon/ that reads the variable; a process offers the settings of the layers it
/// loads.</param>
public sealed record SettingOption(string? Flag, string EnvironmentVariable, string HoconPath, string Layer, string Description)
{
    /// <summary>How the setting reads in --help: what it does, then where else it can be set.</summary>
    public string HelpText => $"{Description} [env {EnvironmentVariable}; {HoconPath}]";
}
