using CallCluster.Hosting;
using CallCluster.Hosting.Cli;
using CallCluster.Hosting.Composition;
using CallCluster.Node.Composition;

namespace CallCluster.Node;

/// <summary><c>dotnet run --project src/Node [-- --config FILE ...]</c>: the embedded default, one process that is a
/// one-node cluster with both roles, SQLite persistence and (without CALLCLUSTER_MI) the OpenSIPS simulator.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ProcessMain.RunAsync(args, "callcluster-node", CommandLine, async options =>
    {
        var config = options.Apply(ConfigLoader.Load(NodeHost.DefaultLayers(), options.ConfigFiles));
        await CallClusterHost.RunAsync(NodeHost.Build(config, new NodeParts()), config);
        return 0;
    });

    /// <summary>Every layer the node may load, PostgreSQL's included, so that help lists all of its settings.</summary>
    private static readonly ProcessCommandLine CommandLine = new("CallCluster.Node",
        "CallCluster node: command and dialog entities and the OpenSIPS connector; by default also the Call API gateway " +
        "and a built-in OpenSIPS simulator, as a one-node cluster.",
        [.. NodeHost.DefaultLayers(), "persistence-postgres.conf"]);
}
