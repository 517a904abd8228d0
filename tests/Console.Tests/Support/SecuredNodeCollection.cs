namespace CallCluster.Console.Tests.Support;

/// <summary>The route tests and the secured browser test share one secured node (starting one costs seconds).</summary>
[CollectionDefinition(Name)]
public sealed class SecuredNodeCollection : ICollectionFixture<SecuredNodeFixture>
{
    public const string Name = "secured node";
}
