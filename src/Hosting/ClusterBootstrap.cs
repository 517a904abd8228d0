using Akka.Event;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Hosting;

namespace CallCluster.Hosting;

/// <summary>How a process finds the cluster: <c>callcluster.discovery</c>.</summary>
public enum DiscoveryMode
{
    /// <summary>The seeds of <c>callcluster.seeds</c>, or a one-node cluster when there are none.</summary>
    Static,

    /// <summary>Akka.Management + Cluster Bootstrap with the Kubernetes API discovery.</summary>
    Kubernetes,
}

/// <summary>Starts the <c>callcluster</c> ActorSystem with its roles and joins the cluster: the configured seeds,
/// or itself when there are none (the embedded one-node default); with <c>callcluster.discovery = kubernetes</c>,
/// through Akka.Management's Cluster Bootstrap instead.</summary>
public static class ClusterBootstrap
{
    public const string SystemName = "callcluster";

    public static DiscoveryMode Discovery(Config config) =>
        (config.GetString("callcluster.discovery", "static") ?? "").Trim().ToLowerInvariant() switch
        {
            "" or "static" => DiscoveryMode.Static,
            "kubernetes" => DiscoveryMode.Kubernetes,
            var other => throw new ConfigurationException(
                $"callcluster.discovery = \"{other}\": expected static or kubernetes"),
        };

    /// <summary>The Akka settings that <c>callcluster.discovery</c> and its sections stand for: empty for static
    /// seeds; Akka.Management's endpoint, Cluster Bootstrap's contact-point discovery and the Kubernetes API discovery
    /// for <c>kubernetes</c>. Below the process's own configuration: an explicit <c>akka.management</c> or
    /// <c>akka.discovery</c> key there wins.</summary>
    public static Config DiscoveryConfig(Config config)
    {
        if (Discovery(config) == DiscoveryMode.Static)
        {
            return Config.Empty;
        }

        var host = config.GetString("callcluster.management.host", "127.0.0.1");
        var port = config.GetInt("callcluster.management.port", 8558);
        var method = config.GetString("callcluster.bootstrap.discovery-method", "kubernetes-api");
        return ConfigurationFactory.ParseString($$"""
            akka.management.http {
              hostname = {{Quote(host)}}
              port = {{port}}
              bind-hostname = {{Quote(host)}}
              bind-port = {{port}}
            }
            akka.management.cluster.bootstrap.contact-point-discovery {
              service-name = {{Quote(config.GetString("callcluster.bootstrap.service-name", SystemName))}}
              port-name = {{Quote(config.GetString("callcluster.bootstrap.port-name", "management"))}}
              discovery-method = {{Quote(method)}}
              required-contact-point-nr = {{config.GetInt("callcluster.bootstrap.required-contact-point-nr", 2)}}
            }
            akka.discovery.method = {{Quote(method)}}
            akka.discovery.kubernetes-api.pod-label-selector = {{Quote(config.GetString("callcluster.bootstrap.pod-label-selector", "app.kubernetes.io/name={0}"))}}
            """);
    }

    /// <summary>The ActorSystem's configuration: roles, the process's layers, the discovery settings, then the
    /// defaults of sharding, singletons and Distributed Data.</summary>
    public static Config SystemConfig(Config config)
    {
        var roles = ConfigLoader.CommaList(config, "callcluster.roles");
        var rolesConfig = ConfigurationFactory.ParseString(
            "akka.cluster.roles = [" + string.Join(",", roles.Select(r => "\"" + r + "\"")) + "]");
        // Sharding's, singletons' and Distributed Data's defaults (and with them their serializers) from the start, not
        // from the moment this node starts its own sharding: a peer's replicator gossip that arrives earlier would not
        // deserialize, and the coordinator's majority writes would stall until updating-state-timeout.
        var defaults = Akka.Cluster.Sharding.ClusterSharding.DefaultConfig()
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig())
            .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());
        return rolesConfig.WithFallback(config).WithFallback(DiscoveryConfig(config)).WithFallback(defaults);
    }

    /// <summary>An ActorSystem configured as the processes' (CallClusterHost), without features: for tests and
    /// benchmarks that compose their own. Its host is disposed when it terminates.</summary>
    /// <param name="setups">Programmatic settings that HOCON cannot express (e.g. the journal's connection tuning).</param>
    public static ActorSystem CreateSystem(Config config, IEnumerable<Akka.Actor.Setup.Setup>? setups = null)
    {
        var host = Composition.CallClusterHost.Build(config, ownsProcess: false, (akka, _) =>
        {
            foreach (var setup in setups ?? [])
            {
                akka.AddSetup(setup);
            }
        });
        var system = Composition.CallClusterHost.CreateSystem(host, config);
        system.WhenTerminated.ContinueWith(_ => host.Dispose(), TaskScheduler.Default);
        return system;
    }

    /// <summary>Joins and completes when this member is Up (or fails after <paramref name="timeout"/>).</summary>
    public static async Task JoinAsync(ActorSystem system, TimeSpan timeout, CancellationToken ct = default)
    {
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());

        if (Discovery(system.Settings.Config) == DiscoveryMode.Kubernetes)
        {
            await StartBootstrapAsync(system).ConfigureAwait(false);
            await WaitUntilUpAsync(system, up.Task, timeout, ct).ConfigureAwait(false);
            return;
        }

        var seeds = ConfigLoader.CommaList(system.Settings.Config, "callcluster.seeds")
            .Select(Address.Parse)
            .ToList();
        if (seeds.Count == 0)
        {
            system.Log.Info("No seed nodes configured: forming a one-node cluster at {0}", cluster.SelfAddress);
            await cluster.JoinAsync(cluster.SelfAddress, ct).ConfigureAwait(false);
        }
        else
        {
            system.Log.Info("Joining the cluster through seeds {0}", string.Join(", ", seeds));
            await cluster.JoinSeedNodesAsync(seeds, ct).ConfigureAwait(false);
        }

        await WaitUntilUpAsync(system, up.Task, timeout, ct).ConfigureAwait(false);
    }

    /// <summary>Waits for the member-up callback, then for <see cref="Cluster.SelfMember"/> to say Up too. The two
    /// are fed by different subscribers of the same cluster event (the callback's listener actor and the cluster's
    /// read view), so the callback can run while <c>SelfMember</c> still reads Removed, the status Akka.NET gives a
    /// member that has not joined yet (a CI run saw exactly that). Callers read <c>SelfMember</c> and
    /// <c>State</c> right after joining, so this returns only once both agree.</summary>
    private static async Task WaitUntilUpAsync(ActorSystem system, Task upCallback, TimeSpan timeout, CancellationToken ct)
    {
        var cluster = Cluster.Get(system);
        var deadline = DateTime.UtcNow + timeout;
        await upCallback.WaitAsync(timeout, ct).ConfigureAwait(false);
        // The read view lags the callback by one message on another actor: a few milliseconds at most.
        while (cluster.SelfMember.Status != MemberStatus.Up)
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException(
                    $"member {cluster.SelfAddress} was reported Up but its cluster view still says {cluster.SelfMember.Status} after {timeout}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), ct).ConfigureAwait(false);
        }

        system.Log.Info("Member {0} is Up with roles [{1}]", cluster.SelfAddress, string.Join(",", cluster.SelfRoles));
    }

    /// <summary>Serves the management endpoint and starts Cluster Bootstrap (<see cref="ManagementEndpoint"/>).</summary>
    private static Task StartBootstrapAsync(ActorSystem system) => ManagementEndpoint.StartWithBootstrapAsync(system);

    private static string Quote(string? value) =>
        "\"" + (value ?? "").Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
