using CallCluster.Hosting;
using CallCluster.Hosting.Cli;
using CallCluster.Hosting.Composition;
using CallCluster.Node;
using CallCluster.Node.Composition;

namespace CallCluster.Apps.Node;

/// <summary><c>dotnet run --project src/Apps/Node [-- --config FILE ...]</c>: a production call node (both roles unless
/// CALLCLUSTER_ROLES says), talking to the OpenSIPS at CALLCLUSTER_MI. Without one it exits with code 2: the sandbox
/// with the built-in simulator is src/Apps/Embedded.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ProcessMain.RunAsync(args, "callcluster-node", CommandLine, async options =>
    {
        var config = options.Apply(ConfigLoader.Load(NodeHost.DefaultLayers(), options.ConfigFiles));
        await CallClusterHost.RunAsync(NodeHost.Build(config, new NodeParts()), config);
        return 0;
    });

    /// <summary>Every layer the node may load, PostgreSQL's included, so that help lists all of its settings.</summary>
    private static readonly ProcessCommandLine CommandLine = new("callcluster-node",
        "CallCluster node: command and dialog entities and the OpenSIPS connector (OpenSIPS at --mi / CALLCLUSTER_MI); " +
        "by default also the Call API gateway.",
        [.. NodeHost.DefaultLayers(), "persistence-postgres.conf"]);
}
