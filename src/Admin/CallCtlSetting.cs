namespace CallCluster.Admin;

/// <summary>An environment variable callctl reads when <see cref="Option"/> is not given, and what it means when
/// unset; the way the servers' <c>SettingOption</c> names a flag's variable.</summary>
/// <param name="Option">The option the variable stands in for, e.g. <c>--url</c>.</param>
/// <param name="Default">What applies when the variable is unset too.</param>
public sealed record CallCtlSetting(string Option, string EnvironmentVariable, string Default, string Description);
