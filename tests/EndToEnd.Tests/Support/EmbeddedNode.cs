using Akka.Actor;
using Akka.Configuration;
using CallCluster.Hosting;
using CallCluster.Node;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>The embedded default exactly as `dotnet run --project src/Node` starts it (one-node cluster, both roles,
/// SQLite journal, in-process OpenSIPS simulator), on free ports and a temporary database.</summary>
public sealed class EmbeddedNode : IAsyncDisposable
{
    private readonly string _dir;

    private EmbeddedNode(NodeHost host, string dir)
    {
        Host = host;
        _dir = dir;
    }

    public NodeHost Host { get; }

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
        var config = testLayer.WithFallback(ConfigLoader.Load([.. NodeHost.DefaultLayers(), .. extraLayers ?? []], []));
        var host = await NodeHost.StartAsync(config);
        return new EmbeddedNode(host, dir);
    }

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(Host.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await Host.System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_dir);
    }
}
