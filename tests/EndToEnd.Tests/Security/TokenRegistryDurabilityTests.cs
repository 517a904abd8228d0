using Akka.Actor;
using CallCluster.Contracts.Security;
using CallCluster.EndToEnd.Tests.Support;
using CallCluster.Hosting.Security;

namespace CallCluster.EndToEnd.Tests.Security;

/// <summary>Issue 17: tokens issued at run time are stored durably. The embedded default's registry (a persistent
/// singleton on its SQLite journal) issues one token and revokes another; after a restart on the same database the
/// first still opens connections and the revoked one stays revoked.</summary>
public sealed class TokenRegistryDurabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-tokens-").FullName;

    [Fact(Timeout = 180_000)]
    public async Task Issued_and_revoked_tokens_survive_a_restart_of_the_node()
    {
        var database = Path.Combine(_dir, "tokens.db").Replace("\\", "/");
        var kept = TokenSecret.Generate();
        var dropped = TokenSecret.Generate();
        var overrides = $"callcluster.persistence.sqlite-file = \"{database}\"";

        await using (var first = await EmbeddedNode.StartAsync(overrides))
        {
            var registry = CallClusterSecurityExtension.For(first.Host.System).Registry!;
            foreach (var (id, secret) in new[] { ("kept", kept), ("dropped", dropped) })
            {
                var ack = await registry.Ask<TokenRegistryAck>(
                    new IssueToken(new ApiToken(id, TokenSecret.Hash(secret), [Scopes.CallsRead], [])), TimeSpan.FromSeconds(10));
                Assert.True(ack.Ok, ack.Message);
            }

            Assert.True((await registry.Ask<TokenRegistryAck>(new RevokeToken("dropped"), TimeSpan.FromSeconds(10))).Ok);
        }

        await using var second = await EmbeddedNode.StartAsync(overrides);
        var cache = CallClusterSecurityExtension.For(second.Host.System).Cache;
        // The gateway started only after the registry's set arrived (or gave up waiting): it is known now.
        Assert.True(cache.Loaded.IsCompleted);
        Assert.Equal("kept", cache.Authenticate(kept)?.Id);
        Assert.Null(cache.Authenticate(dropped));
        await using var client = await RpcTestClient.ConnectAsync(second.Endpoint, kept);
        await client.SendAsync(new { jsonrpc = "2.0", id = "1", method = "CallList", @params = new { } });
        var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.True(reply.TryGetProperty("result", out _), reply.GetRawText());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirectory.DeleteBestEffort(_dir);
    }
}
