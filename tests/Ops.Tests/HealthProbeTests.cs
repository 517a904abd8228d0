using System.Net;
using System.Text.Json;
using Akka.Cluster;
using CallCluster.Hosting;
using CallCluster.Hosting.Admin;
using CallCluster.Ops.Tests.Support;

namespace CallCluster.Ops.Tests;

/// <summary>The built-in checks behind the probes over real HTTP: readiness follows this member's status, liveness does
/// not, and both answer the JSON shape Kubernetes, callctl and scripts read.</summary>
[Collection(ClusterCollection.Name)]
public sealed class HealthProbeTests
{
    [Fact]
    public async Task A_member_that_is_not_Up_is_live_but_not_ready_until_it_has_joined()
    {
        var system = ClusterBootstrap.CreateSystem(TestCluster.Config());
        try
        {
            await using var admin = await AdminServer.StartAsync(system, AdminSettings.FromConfig(system.Settings.Config));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin.Endpoint.Port}") };
            var self = Cluster.Get(system).SelfAddress.ToString();

            var (status, body) = await GetAsync(http, AdminProtocol.ReadyPath);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal(["detail", "status"], body.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("not-ready", body["status"]);
            // Akka.NET reports a member that has not asked to join as Removed.
            Assert.Equal($"member {self} is Removed, not Up", body["detail"]);

            (status, body) = await GetAsync(http, AdminProtocol.LivePath);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(new Dictionary<string, string> { ["status"] = "live", ["address"] = self }, body);

            await ClusterBootstrap.JoinAsync(system, TimeSpan.FromSeconds(30));
            (status, body) = await GetAsync(http, AdminProtocol.ReadyPath);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(new Dictionary<string, string> { ["status"] = "ready", ["detail"] = $"member {self} is Up" }, body);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task<(HttpStatusCode Status, Dictionary<string, string> Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(AdminProtocol.JsonContentType, response.Content.Headers.ContentType?.MediaType);
        var body = JsonSerializer.Deserialize<Dictionary<string, string>>(await response.Content.ReadAsStringAsync())!;
        return (response.StatusCode, body);
    }
}
