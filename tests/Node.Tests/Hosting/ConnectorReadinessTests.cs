using System.Net;
using Akka.Configuration;
using CallCluster.Hosting;
using CallCluster.Hosting.Admin;
using CallCluster.Node.Admin;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.Hosting;

/// <summary>A call node's /healthz/ready follows its OpenSIPS connector (the EVI subscription), wired as the node wires
/// it (<see cref="ConnectorHealthCheckExtensions.AddConnectorCheck"/>), over real HTTP on a free port of an Up
/// one-node cluster: the member check passes, so the connector decides.</summary>
public sealed class ConnectorReadinessTests() : Akka.TestKit.Xunit2.TestKit(ClusterBootstrap.CreateSystem(Config()))
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Ready_turns_503_when_the_connector_loses_its_EVI_subscription()
    {
        await ClusterBootstrap.JoinAsync(Sys, TimeSpan.FromSeconds(30));
        var subscriptions = CreateTestProbe();
        var health = new ConnectorHealth.HealthState();
        Sys.ActorOf(ConnectorHealth.Props(subscriptions.Ref, health));
        await using var admin = await AdminServer.StartAsync(Sys, AdminSettings.FromConfig(Sys.Settings.Config),
            healthChecks: checks => checks.AddConnectorCheck(health));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin.Endpoint.Port}") };

        await subscriptions.ExpectMsgAsync<GetSubscriptionStatus>(Patience);
        await AssertReadyAsync(http, HttpStatusCode.ServiceUnavailable, "waiting for the EVI subscription");

        subscriptions.Reply(Status(subscribed: true));
        await AwaitAssertAsync(() => AssertReadyAsync(http, HttpStatusCode.OK, "EVI subscription in place: udp:127.0.0.1:5099"),
            Patience);

        // The connector checks again every 5 s.
        await subscriptions.ExpectMsgAsync<GetSubscriptionStatus>(Patience);
        subscriptions.Reply(Status(subscribed: false));
        await AwaitAssertAsync(() => AssertReadyAsync(http, HttpStatusCode.ServiceUnavailable, "EVI not subscribed: E_DLG_STATE_CHANGED"),
            Patience);
        using var live = await http.GetAsync(AdminProtocol.LivePath);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private static SubscriptionStatus Status(bool subscribed) =>
        new("udp:127.0.0.1:5099", Unsubscribing: false,
            [new EventSubscriptionStatus("E_DLG_STATE_CHANGED", subscribed, LastSuccess: null, ExpiresAt: null, LastError: null)]);

    private static async Task AssertReadyAsync(HttpClient http, HttpStatusCode expected, string detail)
    {
        using var response = await http.GetAsync(AdminProtocol.ReadyPath);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {body}");
        Assert.Contains(detail, body, StringComparison.Ordinal);
    }

    private static Config Config() =>
        ConfigurationFactory.ParseString(
                """
                akka.loglevel = WARNING
                akka.remote.dot-netty.tcp { hostname = "127.0.0.1", public-hostname = "", port = 0 }
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                callcluster { roles = "call-node", seeds = "" }
                callcluster.admin { host = "127.0.0.1", port = 0 }
                """)
            .WithFallback(ConfigLoader.Load(["base.conf"], []));
}
