using Akka.Actor;
using Akka.Event;
using CallCluster.Gateway.Journal;
using CallCluster.Hosting;
using CallCluster.Hosting.Admin;
using CallCluster.Hosting.Cli;

namespace CallCluster.Gateway;

/// <summary><c>dotnet run --project src/Gateway [-- --config FILE ...]</c>: a gateway-only process. It joins the
/// cluster through CALLCLUSTER_SEEDS and reaches the command shards on call nodes through a shard region proxy.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ProcessMain.RunAsync(args, "callcluster-gateway", CommandLine, async options =>
    {
        var config = options.Apply(ConfigLoader.Load(Layers, options.ConfigFiles));
        var system = ClusterBootstrap.CreateSystem(config);
        Hosting.Tracing.TracingSetup.Attach(system, "callcluster-gateway"); // OTLP traces when configured (docs/tracing.md)
        using var signals = ShutdownSignals.RunCoordinatedShutdownOnSignals(system);
        await ClusterBootstrap.JoinAsync(system, TimeSpan.FromSeconds(60));
        var commandProxy = await ShardingSetup.StartCommandProxyAsync(system);
        var dialogProxy = await ShardingSetup.StartDialogProxyAsync(system);
        await AdminServer.StartAsync(system, AdminSettings.FromConfig(system.Settings.Config));
        // New commands are refused -32003 at once while the call nodes report their journal down (ClusterJournalGate).
        var gate = system.ActorOf(ClusterJournalGate.Props(commandProxy), "journal-gate");
        var server = await GatewayServer.StartAsync(system, gate, GatewaySettings.FromConfig(system.Settings.Config),
            dialogRegion: dialogProxy);
        system.Log.Info("Call API listening on {0}", server.Endpoint);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "close-websockets", async () =>
        {
            await server.DisposeAsync();
            return Akka.Done.Instance;
        });

        await system.WhenTerminated;
        return 0;
    });

    private static readonly string[] Layers = ["base.conf", "gateway.conf", "gateway-process.conf"];

    private static readonly ProcessCommandLine CommandLine = new("CallCluster.Gateway",
        "CallCluster gateway: serves the Call API (WebSocket JSON-RPC and REST) and reaches the call nodes' command " +
        "shards through the cluster (join it with --seeds).", Layers);
}
