using System.Net;
using Akka.Actor;
using CallCluster.Contracts.Security;
using CallCluster.Hosting.Admin;
using CallCluster.Hosting.Security;
using CallCluster.Ops.Tests.Support;

namespace CallCluster.Ops.Tests;

/// <summary>Issue 17: an admin endpoint that requires tokens (what a non-loopback bind does; here forced with
/// require-token = on, since tests stay on 127.0.0.1) refuses callctl without a token (401) or with a token lacking
/// the admin scope (403), serves it with one, and keeps the probes open. The tokens palette issues, lists and revokes
/// through the registry.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AdminTokenTests
{
    [Fact]
    public async Task Palettes_need_an_admin_token_the_probes_do_not_and_tokens_are_issued_and_revoked_through_callctl()
    {
        var adminSecret = TokenSecret.Generate();
        var callsSecret = TokenSecret.Generate();
        var (system, admin) = await TestCluster.StartAsync(overrides: $$"""
            callcluster.admin.require-token = on
            callcluster.security.tokens-env = "ops {{TokenSecret.Hash(adminSecret)}} admin; crm {{TokenSecret.Hash(callsSecret)}} calls:read,calls:control"
            """);
        system.ActorOf(Akka.Cluster.Tools.Singleton.ClusterSingletonManager.Props(Props.Create(() => new InMemoryTokenRegistry()),
                PoisonPill.Instance, Akka.Cluster.Tools.Singleton.ClusterSingletonManagerSettings.Create(system).WithRole("call-node")),
            CallClusterSecurity.RegistryName);
        try
        {
            var anonymous = await TestCluster.CtlAsync(admin.Endpoint, "cluster", "show");
            Assert.Equal(1, anonymous.Exit);
            Assert.Contains("HTTP 401", anonymous.Stderr);
            var underScoped = await TestCluster.CtlAsync(admin.Endpoint, "--token", callsSecret, "cluster", "show");
            Assert.Contains("HTTP 403", underScoped.Stderr);
            var ops = await TestCluster.CtlWithEnvAsync(admin.Endpoint, v => v == "CALLCLUSTER_TOKEN" ? adminSecret : null,
                CancellationToken.None, "cluster", "show");
            Assert.True(ops.Exit == 0, ops.ToString());

            using var http = new HttpClient();
            using var live = await http.GetAsync($"http://127.0.0.1:{admin.Endpoint.Port}{AdminProtocol.LivePath}");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            var added = await TestCluster.CtlAsync(admin.Endpoint, "--token", adminSecret, "tokens", "add", "dialer", "calls:control",
                "domains=Example.COM", "commands-per-second=5");
            Assert.True(added.Exit == 0, added.ToString());
            Assert.Equal(string.Join(" | ", TokensPalette.AddColumns), added.Lines[0]);
            var row = added.Lines[1].Split(" | ");
            Assert.Equal("dialer", row[0]);
            Assert.StartsWith(TokenSecret.Prefix, row[1]);
            Assert.Equal("example.com", row[3]);

            var security = CallClusterSecurityExtension.For(system);
            await AwaitAsync(() => security.Cache.Authenticate(row[1]) is { Id: "dialer", CommandsPerSecond: 5 });

            var listed = await TestCluster.CtlAsync(admin.Endpoint, "--token", adminSecret, "tokens", "list");
            Assert.Equal(string.Join(" | ", TokensPalette.ListColumns), listed.Lines[0]);
            Assert.Contains(listed.Lines, l => l.StartsWith("ops | config | admin", StringComparison.Ordinal));
            Assert.Contains(listed.Lines, l => l.StartsWith("dialer | issued | calls:control | example.com", StringComparison.Ordinal));
            Assert.DoesNotContain(row[1], listed.Stdout);

            var revoked = await TestCluster.CtlAsync(admin.Endpoint, "--token", adminSecret, "tokens", "revoke", "dialer");
            Assert.True(revoked.Exit == 0, revoked.ToString());
            await AwaitAsync(() => security.Cache.Authenticate(row[1]) is null);
            Assert.Equal(1, (await TestCluster.CtlAsync(admin.Endpoint, "--token", adminSecret, "tokens", "revoke", "nobody")).Exit);
        }
        finally
        {
            await admin.DisposeAsync();
            await system.Terminate();
        }
    }

    /// <summary>The registry's protocol without its journal (this project has no persistence; the real, persistent one
    /// is exercised by tests/EndToEnd.Tests/Security/SecretsAndRegistryTests).</summary>
    private sealed class InMemoryTokenRegistry : ReceiveActor
    {
        private readonly Dictionary<string, ApiToken> _tokens = new(StringComparer.Ordinal);
        private long _version;

        public InMemoryTokenRegistry()
        {
            Receive<IssueToken>(i =>
            {
                _tokens[i.Token.Id] = i.Token;
                Sender.Tell(new TokenRegistryAck(true, "issued"));
                Publish();
            });
            Receive<RevokeToken>(r =>
            {
                var removed = _tokens.Remove(r.Id);
                Sender.Tell(new TokenRegistryAck(removed, removed ? "revoked" : "no such token"));
                Publish();
            });
            Receive<GetTokens>(_ => Sender.Tell(Set()));
        }

        private TokenSet Set() => new(_tokens.Values.ToList(), _version);

        private void Publish()
        {
            _version++;
            Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(Context.System).Mediator
                .Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(TokenCacheFeeder.Topic, Set()));
        }
    }

    /// <summary>Polls a condition every 20 ms for up to 5 s (the registry publishes within milliseconds).</summary>
    private static async Task AwaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(20);
        }
    }
}
