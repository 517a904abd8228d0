namespace CallCluster.Ops.Tests.Support;

/// <summary>Test classes that run a cluster with the admin endpoint run one after the other: the Prometheus gauges
/// are process-wide (one ActorSystem per process in production), and two cores are better spent on one cluster.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
