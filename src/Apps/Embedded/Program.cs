using CallCluster.Hosting;
using CallCluster.Hosting.Cli;
using CallCluster.Hosting.Composition;

namespace CallCluster.Apps.Embedded;

/// <summary><c>dotnet run --project src/Apps/Embedded [-- --config FILE ...]</c>: the embedded default, one process that
/// is a one-node cluster with both roles, SQLite persistence and (without CALLCLUSTER_MI) the OpenSIPS simulator.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ProcessMain.RunAsync(args, "callcluster", CommandLine, async options =>
    {
        var config = options.Apply(ConfigLoader.Load(EmbeddedHost.Layers(), options.ConfigFiles));
        await CallClusterHost.RunAsync(EmbeddedHost.Build(config), config);
        return 0;
    });

    /// <summary>Every layer the process may load, PostgreSQL's included, so that help lists all of its settings.</summary>
    private static readonly ProcessCommandLine CommandLine = new("callcluster",
        "CallCluster, the embedded default: command and dialog entities, the OpenSIPS connector, the Call API gateway and " +
        "(without an OpenSIPS MI address) a built-in OpenSIPS simulator, as a one-node cluster.",
        [.. EmbeddedHost.Layers(), "persistence-postgres.conf"]);
}
