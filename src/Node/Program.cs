using CallCluster.Hosting;

namespace CallCluster.Node;

/// <summary><c>dotnet run --project src/Node [-- --config FILE ...]</c>: the embedded default, one process that is a
/// one-node cluster with both roles, SQLite persistence and (without CALLCLUSTER_MI) the OpenSIPS simulator.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ProcessMain.RunAsync(args, "callcluster-node", Usage, async options =>
    {
        var config = options.Apply(ConfigLoader.Load(NodeHost.DefaultLayers(), options.ConfigFiles));
        var host = await NodeHost.StartAsync(config);
        using var signals = ShutdownSignals.RunCoordinatedShutdownOnSignals(host.System);
        await host.System.WhenTerminated;
        return 0;
    });

    private const string Usage =
        "usage: CallCluster.Node [--config FILE]...\n" + ProcessMain.ConfigUsage +
        "Environment: CALLCLUSTER_MI, CALLCLUSTER_EVI_PORT, CALLCLUSTER_EVI_ADVERTISE, CALLCLUSTER_WS_PORT, CALLCLUSTER_DB,\n" +
        "  CALLCLUSTER_ROLES, CALLCLUSTER_SEEDS, CALLCLUSTER_AKKA_HOST, CALLCLUSTER_AKKA_PORT, CALLCLUSTER_PG (see README)";
}
