namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>An embedded node whose watchdogs and the simulator's tm timeout are short, so that the failure paths
/// (REFER ignored, phone never answers) end in seconds.</summary>
public sealed class FastTimersNodeFixture : IAsyncLifetime
{
    public const string Overrides = """
        callcluster.commands.transfer-start-timeout = 2s
        callcluster.commands.hold-timeout = 5s
        callcluster.simulator.transaction-timeout = 2s
        callcluster.simulator.slow-answer-delay = 1500ms
        """;

    public EmbeddedNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await EmbeddedNode.StartAsync(Overrides);

    public async Task DisposeAsync() => await Node.DisposeAsync();
}
