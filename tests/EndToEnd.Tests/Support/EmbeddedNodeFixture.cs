namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>One embedded node shared by the tests of a class (starting one costs a couple of seconds).</summary>
public sealed class EmbeddedNodeFixture : IAsyncLifetime
{
    public EmbeddedNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await EmbeddedNode.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();
}
