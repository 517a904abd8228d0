namespace CallCluster.Hosting.Admin.Health;

/// <summary>The tags that pick a health check's probe: <c>/healthz/live</c> runs the checks tagged
/// <see cref="Live"/>, <c>/healthz/ready</c> those tagged <see cref="Ready"/>.</summary>
public static class HealthTags
{
    /// <summary>The process is worth keeping (Kubernetes restarts it otherwise).</summary>
    public const string Live = "live";

    /// <summary>The process may take traffic (Kubernetes routes none to it otherwise).</summary>
    public const string Ready = "ready";
}
