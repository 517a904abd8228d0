using System.Globalization;

namespace CallCluster.Admin;

/// <summary>Where callctl's call commands connect when no <c>--url</c> is given: the gateway this shell's environment
/// configures, read from the variables the gateway itself reads (README.md, "Configuration"), so that
/// <c>CALLCLUSTER_WS_PORT=25204 callctl call ...</c> reaches the gateway started with that same variable.
/// <list type="bullet">
/// <item><c>CALLCLUSTER_WS_PORT</c>: the port (5059).</item>
/// <item><c>CALLCLUSTER_WS_HOST</c>: the host; a wildcard bind address (0.0.0.0, ::) is reached on loopback (127.0.0.1).</item>
/// <item><c>CALLCLUSTER_TLS_CERT</c>: set, the gateway serves only TLS, so the scheme is wss://.</item>
/// <item><c>CALLCLUSTER_WS_DIALECT</c>, <c>CALLCLUSTER_WS_NATIVE_PATH</c>, <c>CALLCLUSTER_WS_COMPAT_PATH</c>: which path
/// speaks which dialect (the native client needs a native path, the call-cmd verbs the original one).</item>
/// </list></summary>
internal static class GatewayUrl
{
    public const string PortVariable = "CALLCLUSTER_WS_PORT";
    public const string HostVariable = "CALLCLUSTER_WS_HOST";
    public const string TlsCertificateVariable = "CALLCLUSTER_TLS_CERT";
    public const string DialectVariable = "CALLCLUSTER_WS_DIALECT";
    public const string NativePathVariable = "CALLCLUSTER_WS_NATIVE_PATH";
    public const string CompatPathVariable = "CALLCLUSTER_WS_COMPAT_PATH";

    /// <summary>hocon/gateway.conf's defaults.</summary>
    public const int DefaultPort = 5059;
    public const string MainPath = "/call-api";
    public const string DefaultCompatPath = "/call-api/compat";

    /// <summary>A URL of the native dialect (<c>callctl call ...</c>).</summary>
    /// <exception cref="FormatException">A variable holds something the gateway would not start with, or no path
    /// speaks the native dialect.</exception>
    public static string Native(Func<string, string?> environment)
    {
        if (NonEmpty(environment(NativePathVariable)) is { } nativePath)
        {
            return Url(environment, nativePath);
        }

        if (MainPathIsOriginal(environment))
        {
            throw new FormatException($"{DialectVariable}=original: the gateway's {MainPath} speaks the original dialect and " +
                                      $"{NativePathVariable} is unset, so no path speaks the native one; pass --url");
        }

        return Url(environment, MainPath);
    }

    /// <summary>A URL of the original dialect (the call-cmd verbs).</summary>
    /// <exception cref="FormatException">As <see cref="Native"/>, for the original dialect.</exception>
    public static string Compat(Func<string, string?> environment)
    {
        // Unset: the default path; set to "": the gateway serves no compat path.
        var compatPath = environment(CompatPathVariable) ?? DefaultCompatPath;
        if (compatPath.Length > 0)
        {
            return Url(environment, compatPath);
        }

        if (MainPathIsOriginal(environment))
        {
            return Url(environment, MainPath);
        }

        throw new FormatException($"{CompatPathVariable} is empty (the gateway serves no original-dialect path) and " +
                                  $"{MainPath} speaks the native dialect; pass --url");
    }

    private static string Url(Func<string, string?> environment, string path)
    {
        var scheme = NonEmpty(environment(TlsCertificateVariable)) is null ? "ws" : "wss";
        return $"{scheme}://{Host(environment)}:{Port(environment).ToString(CultureInfo.InvariantCulture)}{(path.StartsWith('/') ? path : "/" + path)}";
    }

    private static int Port(Func<string, string?> environment)
    {
        if (NonEmpty(environment(PortVariable)) is not { } text)
        {
            return DefaultPort;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"{PortVariable}='{text}' is not a port number");
        }

        return port;
    }

    private static string Host(Func<string, string?> environment)
    {
        var host = NonEmpty(environment(HostVariable));
        if (host is null or "0.0.0.0" or "::" or "[::]" or "*" or "+")
        {
            // A wildcard is where the gateway listens, not an address to connect to: every interface includes loopback.
            return "127.0.0.1";
        }

        return host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
    }

    private static bool MainPathIsOriginal(Func<string, string?> environment) =>
        string.Equals(NonEmpty(environment(DialectVariable)), "original", StringComparison.OrdinalIgnoreCase);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
