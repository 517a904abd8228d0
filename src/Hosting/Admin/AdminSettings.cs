using Akka.Configuration;

namespace CallCluster.Hosting.Admin;

/// <summary><c>callcluster.admin</c>: where the admin endpoint (callctl, /healthz, /metrics) listens. Loopback by
/// default: only <c>kubectl exec</c>/local operators reach it; Kubernetes probes need <c>host = "0.0.0.0"</c>.</summary>
/// <param name="Port">0 = any free port (tests).</param>
/// <param name="MetricsRefresh">How often shard and entity gauges are refreshed from the local regions.</param>
public sealed record AdminSettings(bool Enabled, string Host, int Port, TimeSpan AskTimeout, TimeSpan MetricsRefresh)
{
    /// <summary>The port is the shipped default (9110) and CALLCLUSTER_ADMIN_PORT is unset: nobody asked for it, so when
    /// another process on the host already has it, the endpoint takes any free port (logged) instead of failing. A port
    /// that was asked for and is taken stops the process (exit code 2, one line naming the port and the setting).</summary>
    public bool PortIsDefault { get; init; }

    /// <summary>Whether the palettes need a token with the admin scope (the probes and /metrics never do). Null: only when
    /// the endpoint is not bound to loopback (<c>callcluster.admin.require-token = auto</c>).</summary>
    public bool? RequireToken { get; init; }

    public bool TokenRequired => RequireToken ?? !Security.SafeBind.IsLoopback(Host);

    public static AdminSettings Default { get; } =
        new(true, AdminProtocol.DefaultHost, AdminProtocol.DefaultPort, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));

    /// <summary>Reads <c>callcluster.admin</c>; where the section lacks a key, CALLCLUSTER_ADMIN_PORT /
    /// CALLCLUSTER_ADMIN_HOST and then the defaults (127.0.0.1:9110) apply.</summary>
    public static AdminSettings FromConfig(Config config, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var envPort = environment(AdminProtocol.PortVariable);
        var port = config.HasPath("callcluster.admin.port")
            ? config.GetInt("callcluster.admin.port")
            : int.TryParse(envPort, out var p) ? p : AdminProtocol.DefaultPort;
        var host = config.HasPath("callcluster.admin.host")
            ? config.GetString("callcluster.admin.host")
            : environment(AdminProtocol.HostVariable) is { Length: > 0 } h ? h : AdminProtocol.DefaultHost;
        var settings = new AdminSettings(
            config.GetBoolean("callcluster.admin.enabled", true),
            host,
            port,
            config.GetTimeSpan("callcluster.admin.ask-timeout", Default.AskTimeout),
            config.GetTimeSpan("callcluster.admin.metrics-refresh", Default.MetricsRefresh))
        {
            PortIsDefault = port == AdminProtocol.DefaultPort && string.IsNullOrEmpty(envPort),
            RequireToken = config.GetString("callcluster.admin.require-token", "auto").Trim().ToLowerInvariant() switch
            {
                "on" or "true" or "yes" => true,
                "off" or "false" or "no" => false,
                _ => null,
            },
        };
        settings.Validate();
        return settings;
    }

    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"callcluster.admin.port must be 0..65535, was {Port}");
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("callcluster.admin.host must not be empty");
        }

        if (AskTimeout <= TimeSpan.Zero || MetricsRefresh <= TimeSpan.Zero)
        {
            throw new ArgumentException("callcluster.admin.ask-timeout and metrics-refresh must be positive");
        }
    }
}
