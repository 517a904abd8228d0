using CallCluster.Hosting;
using CallCluster.Hosting.Cli;
using CallCluster.Hosting.Composition;
using CallCluster.Gateway;
using CallCluster.Hosting.Tracing;

namespace CallCluster.Apps.Gateway;

/// <summary><c>dotnet run --project src/Apps/Gateway [-- --config FILE ...]</c>: a gateway-only process. It joins the
/// cluster through CALLCLUSTER_SEEDS and reaches the command shards on call nodes through a shard region proxy.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ProcessMain.RunAsync(args, "callcluster-gateway", CommandLine, async options =>
    {
        var config = options.Apply(ConfigLoader.Load(Layers, options.ConfigFiles));
        await CallClusterHost.RunAsync(CallClusterHost.Build(config, ownsProcess: true, (akka, _) => akka
            .WithTracing("callcluster-gateway")
            .WithClusterJoin()
            .WithShardProxies()
            .WithAdminServer()
            .WithClusterJournalGate()
            .WithGateway()), config);
        return 0;
    });

    private static readonly string[] Layers = ["base.conf", "gateway.conf", "gateway-process.conf"];

    private static readonly ProcessCommandLine CommandLine = new("callcluster-gateway",
        "CallCluster gateway: serves the Call API (WebSocket JSON-RPC and REST) and reaches the call nodes' command " +
        "shards through the cluster (join it with --seeds).", Layers);
}
