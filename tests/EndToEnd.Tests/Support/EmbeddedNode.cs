using Akka.Actor;
using Akka.Configuration;
using CallCluster.Apps.Embedded;
using CallCluster.Hosting;
using CallCluster.Node;
using CallCluster.Simulator;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>The embedded default exactly as `dotnet run --project src/Apps/Embedded` starts it (its EmbeddedHost: one-node
/// cluster, both roles, SQLite journal, in-process OpenSIPS simulator), on free ports and a temporary database.</summary>
public sealed class EmbeddedNode : IAsyncDisposable
{
    private readonly string _dir;

    private readonly EmbeddedHost _embedded;

    private EmbeddedNode(EmbeddedHost embedded, string dir)
    {
        _embedded = embedded;
        _dir = dir;
    }

    public NodeHost Host => _embedded.Node;

    /// <summary>The built-in simulator; null when the test configured callcluster.mi.address.</summary>
    public OpenSipsSimulator? Simulator => _embedded.Simulator;

    public Uri Endpoint => Host.Gateway!.Endpoint;

    public static async Task<EmbeddedNode> StartAsync(string overrides = "", IReadOnlyList<string>? extraLayers = null)
    {
        var dir = Directory.CreateTempSubdirectory("callcluster-e2e-").FullName;
        var logLevel = Environment.GetEnvironmentVariable("CALLCLUSTER_TEST_LOGLEVEL") ?? "WARNING";
        var testLayer = ConfigurationFactory.ParseString($$"""
            akka.loglevel = {{logLevel}}
            callcluster.gateway.port = 0
            callcluster.admin.port = 0
            callcluster.evi.port = 0
            callcluster.persistence.sqlite-file = "{{Path.Combine(dir, "callcluster.db").Replace("\\", "/")}}"
            callcluster.simulator.answer-delay = 10ms
            callcluster.simulator.mi-port = 0
            {{overrides}}
            """);
        var config = testLayer.WithFallback(ConfigLoader.Load([.. EmbeddedHost.Layers(), .. extraLayers ?? []], []));
        return new EmbeddedNode(await EmbeddedHost.StartAsync(config), dir);
    }

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(Host.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await Host.System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_dir);
    }
}
