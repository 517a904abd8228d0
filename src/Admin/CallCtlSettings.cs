using CallCluster.Hosting.Admin;

namespace CallCluster.Admin;

/// <summary>The one table of the environment variables callctl honours: <c>--help</c> lists it (the options' texts
/// and the Environment section), and the readers (<see cref="CallCtl.EndpointUri"/>, <see cref="GatewayUrl"/>, the
/// token) use the same names and defaults. The gateway variables are the ones the gateway itself reads, so a shell
/// that configures a gateway also points callctl at it.</summary>
public static class CallCtlSettings
{
    public const string TokenVariable = "CALLCLUSTER_TOKEN";

    public static IReadOnlyList<CallCtlSetting> All { get; } =
    [
        new("--endpoint", AdminProtocol.PortVariable, $"{AdminProtocol.DefaultPort}", $"admin endpoint port on {AdminProtocol.DefaultHost} (palettes)"),
        new("--url", GatewayUrl.HostVariable, "127.0.0.1", "gateway host; a wildcard bind address (0.0.0.0, ::) means 127.0.0.1"),
        new("--url", GatewayUrl.PortVariable, $"{GatewayUrl.DefaultPort}", "gateway port"),
        new("--url", GatewayUrl.TlsCertificateVariable, "unset: ws://", "set: the gateway serves only TLS, so wss://"),
        new("--url", GatewayUrl.DialectVariable, "native", $"original: {GatewayUrl.MainPath} speaks the original dialect"),
        new("--url", GatewayUrl.NativePathVariable, GatewayUrl.MainPath, "path of the native dialect (call commands)"),
        new("--url", GatewayUrl.CompatPathVariable, GatewayUrl.DefaultCompatPath, "path of the original dialect (call-cmd verbs); empty: none"),
        new("--token", TokenVariable, "none", "API token, sent as Authorization: Bearer to the gateway and the admin endpoint"),
    ];

    /// <summary>An option's help text: what it is, then the variables that stand in for it.</summary>
    public static string Describe(string option, string description)
    {
        var variables = All.Where(s => s.Option == option).Select(s => s.EnvironmentVariable).ToList();
        return variables.Count == 0 ? description : $"{description} [env {string.Join(", ", variables)}]";
    }

    /// <summary>The Environment section of <c>--help</c>.</summary>
    public static string HelpSection() =>
        "Environment (read when the option is not given):\n" +
        string.Join("\n", All.Select(s => $"  {s.EnvironmentVariable,-28}{s.Option,-12}{s.Description} [default {s.Default}]"));
}
