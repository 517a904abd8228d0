using CallCluster.EndToEnd.Tests.Support;

namespace CallCluster.EndToEnd.Tests.Compat;

/// <summary>The compat and CallList test classes share one embedded node and run one after the other: a node per class
/// would add another busy process beside CallStartTests' own on the shared cores.</summary>
[CollectionDefinition(Name)]
public sealed class CompatNodeCollection : ICollectionFixture<FastTimersNodeFixture>
{
    public const string Name = "compat-node";
}
