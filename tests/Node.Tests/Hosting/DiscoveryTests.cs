using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using CallCluster.Hosting;

namespace CallCluster.Node.Tests.Hosting;

/// <summary>Cluster formation: static seeds by default; with <c>callcluster.discovery = kubernetes</c>, Akka.Management
/// and Cluster Bootstrap settings derived from the <c>callcluster.management</c> / <c>callcluster.bootstrap</c>
/// sections (no Kubernetes needed to check them).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class DiscoveryTests
{
    private const string ContactPointDiscovery = "akka.management.cluster.bootstrap.contact-point-discovery";

    [Fact]
    public void The_shipped_configuration_without_environment_joins_static_seeds()
    {
        var config = ConfigLoader.Load(NodeHost.DefaultLayers(), []);

        Assert.Equal(DiscoveryMode.Static, ClusterBootstrap.Discovery(config));
        Assert.Equal("", config.GetString("callcluster.seeds"));
        Assert.True(ClusterBootstrap.DiscoveryConfig(config).IsEmpty);
        var system = ClusterBootstrap.SystemConfig(config);
        Assert.False(system.HasPath("akka.management.http.port"));
        Assert.False(system.HasPath(ContactPointDiscovery + ".discovery-method"));
        Assert.Empty(system.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Kubernetes_discovery_configures_management_bootstrap_and_the_Kubernetes_API()
    {
        var config = WithEnvironment(new() { ["CALLCLUSTER_DISCOVERY"] = "kubernetes" },
            () => ConfigLoader.Load(NodeHost.DefaultLayers(), []));

        Assert.Equal(DiscoveryMode.Kubernetes, ClusterBootstrap.Discovery(config));
        var akka = ClusterBootstrap.SystemConfig(config);
        Assert.Equal("127.0.0.1", akka.GetString("akka.management.http.hostname"));
        Assert.Equal(8558, akka.GetInt("akka.management.http.port"));
        Assert.Equal("kubernetes-api", akka.GetString(ContactPointDiscovery + ".discovery-method"));
        Assert.Equal("kubernetes-api", akka.GetString("akka.discovery.method"));
        Assert.Equal("callcluster", akka.GetString(ContactPointDiscovery + ".service-name"));
        Assert.Equal("management", akka.GetString(ContactPointDiscovery + ".port-name"));
        Assert.Equal(2, akka.GetInt(ContactPointDiscovery + ".required-contact-point-nr"));
        Assert.Equal("app.kubernetes.io/name={0}", akka.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
        // Bootstrap bails out when seed nodes are configured.
        Assert.Empty(akka.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Environment_variables_set_the_management_port_host_contact_points_and_label_selector()
    {
        var config = WithEnvironment(new()
            {
                ["CALLCLUSTER_DISCOVERY"] = "Kubernetes",
                ["CALLCLUSTER_MANAGEMENT_HOST"] = "10.1.2.3",
                ["CALLCLUSTER_MANAGEMENT_PORT"] = "9558",
                ["CALLCLUSTER_BOOTSTRAP_CONTACT_POINTS"] = "3",
                ["CALLCLUSTER_BOOTSTRAP_LABEL_SELECTOR"] = "app.kubernetes.io/part-of={0},tier=call",
            },
            () => ConfigLoader.Load(NodeHost.DefaultLayers(), []));

        var akka = ClusterBootstrap.SystemConfig(config);
        Assert.Equal("10.1.2.3", akka.GetString("akka.management.http.hostname"));
        Assert.Equal("10.1.2.3", akka.GetString("akka.management.http.bind-hostname"));
        Assert.Equal(9558, akka.GetInt("akka.management.http.port"));
        Assert.Equal(3, akka.GetInt(ContactPointDiscovery + ".required-contact-point-nr"));
        Assert.Equal("app.kubernetes.io/part-of={0},tier=call", akka.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
    }

    [Fact]
    public void Explicit_akka_management_keys_win_over_the_derived_ones()
    {
        var config = ConfigurationFactory.ParseString($"{ContactPointDiscovery}.required-contact-point-nr = 5")
            .WithFallback(ConfigurationFactory.ParseString("callcluster.discovery = kubernetes"))
            .WithFallback(ConfigLoader.Load(["base.conf"], []));

        Assert.Equal(5, ClusterBootstrap.SystemConfig(config).GetInt(ContactPointDiscovery + ".required-contact-point-nr"));
    }

    [Fact]
    public void An_unknown_discovery_mode_is_refused()
    {
        var config = ConfigurationFactory.ParseString("callcluster.discovery = dns");
        var error = Assert.Throws<ConfigurationException>(() => ClusterBootstrap.Discovery(config));
        Assert.Contains("dns", error.Message);
    }

    /// <summary>Akka.Management on loopback with the <c>config</c> discovery method standing in for the Kubernetes
    /// API: Cluster Bootstrap finds the one contact point (itself), forms the cluster, and the management endpoint
    /// reports this member on <c>/bootstrap/seed-nodes</c>.</summary>
    [Fact]
    public async Task Bootstrap_forms_a_cluster_and_the_management_endpoint_serves_its_seed_nodes()
    {
        var port = FreePort.Tcp();
        var config = ConfigurationFactory.ParseString($$"""
            callcluster {
              discovery = kubernetes
              management { host = "127.0.0.1", port = {{port}} }
              bootstrap { discovery-method = config, required-contact-point-nr = 1 }
            }
            akka.discovery.config.services.callcluster.endpoints = ["127.0.0.1:{{port}}"]
            akka.management.cluster.bootstrap.contact-point-discovery { stable-margin = 1s, interval = 200ms }
            akka.management.cluster.bootstrap.contact-point.probe-interval = 500ms
            """).WithFallback(ConfigLoader.Load(["base.conf"], []));

        var system = ClusterBootstrap.CreateSystem(config);
        try
        {
            await ClusterBootstrap.JoinAsync(system, TimeSpan.FromSeconds(30));
            var self = Cluster.Get(system).SelfAddress;
            Assert.Equal(MemberStatus.Up, Cluster.Get(system).SelfMember.Status);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var body = await http.GetStringAsync($"http://127.0.0.1:{port}/bootstrap/seed-nodes");
            Assert.Contains(self.Host!, body, StringComparison.Ordinal);
            Assert.Contains(self.Port!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), body, StringComparison.Ordinal);
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Two processes, each seeing both contact points: the lower-addressed one forms the cluster, the other
    /// learns of it from that one's <c>/bootstrap/seed-nodes</c> answer (the JSON Akka.Management's probe parses) and
    /// joins it.</summary>
    [Fact]
    public async Task Two_processes_find_each_other_and_form_one_cluster()
    {
        int[] ports = [FreePort.Tcp(), FreePort.Tcp()];
        var endpoints = string.Join(",", ports.Select(p => $"\"127.0.0.1:{p}\""));
        var systems = ports.Select(port => ClusterBootstrap.CreateSystem(ConfigurationFactory.ParseString($$"""
            callcluster {
              discovery = kubernetes
              management { host = "127.0.0.1", port = {{port}} }
              bootstrap { discovery-method = config, required-contact-point-nr = 2 }
            }
            akka.discovery.config.services.callcluster.endpoints = [{{endpoints}}]
            akka.management.cluster.bootstrap.contact-point-discovery { stable-margin = 1s, interval = 200ms }
            akka.management.cluster.bootstrap.contact-point.probe-interval = 500ms
            """).WithFallback(ConfigLoader.Load(["base.conf"], [])))).ToList();
        try
        {
            await Task.WhenAll(systems.Select(s => ClusterBootstrap.JoinAsync(s, TimeSpan.FromSeconds(40))));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (systems.Any(s => Cluster.Get(s).State.Members.Count(m => m.Status == MemberStatus.Up) < 2)
                   && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.All(systems, s => Assert.Equal(
                systems.Select(x => Cluster.Get(x).SelfAddress).OrderBy(x => x.ToString()),
                Cluster.Get(s).State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address).OrderBy(x => x.ToString())));
        }
        finally
        {
            await Task.WhenAll(systems.Select(s => s.Terminate()));
        }
    }

    private static T WithEnvironment<T>(Dictionary<string, string> variables, Func<T> body)
    {
        foreach (var (name, value) in variables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            return body();
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }
}
