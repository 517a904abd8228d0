using Microsoft.Extensions.Hosting;

namespace CallCluster.Hosting.Web;

/// <summary>A host lifetime that starts and stops with the caller and does not listen to Ctrl+C or SIGTERM: for the hosts
/// a process embeds (its web servers) and for a node a test runs in its own process.</summary>
internal sealed class CallerOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
