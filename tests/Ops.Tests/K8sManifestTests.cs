using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting;
using CallCluster.Hosting.Admin;
using CallCluster.Ops.Tests.Support;
using k8s;
using k8s.Models;

namespace CallCluster.Ops.Tests;

/// <summary>Every overlay renders with <c>kubectl kustomize</c> (CI installs one: .ci/run); the output parses strictly
/// into typed Kubernetes objects, and what the manifests set matches what the processes read and serve.</summary>
public sealed partial class K8sManifestTests
{
    private const string NodeName = "callcluster-node";
    private const string GatewayName = "callcluster-gateway";
    private const string EviServiceName = "callcluster-evi";
    private const string SimulatorName = "callcluster-simulator";
    private const string ConfigMount = "/etc/callcluster";

    public static TheoryData<string> Overlays() => new() { "dev", "ingress", "prod" };

    /// <summary>What each overlay promises (its kustomization.yaml and k8s/README.md say the same).</summary>
    private sealed record Expected(string Namespace, string Tag, int Nodes, bool InClusterPostgres, bool RealProxy, bool Hpa,
        bool Ingress);

    private static readonly Dictionary<string, Expected> Promised = new()
    {
        ["dev"] = new("callcluster-dev", "dev", 1, InClusterPostgres: true, RealProxy: false, Hpa: false, Ingress: false),
        ["ingress"] = new("callcluster-dev", "dev", 1, InClusterPostgres: true, RealProxy: false, Hpa: false, Ingress: true),
        ["prod"] = new("callcluster", "1.0.0", 3, InClusterPostgres: false, RealProxy: true, Hpa: true, Ingress: false),
    };

    private static readonly Dictionary<string, Rendered> Cache = new();

    /// <summary>The CoordinatedShutdown budget of a cluster process: the phases run one after the other, each bounded
    /// by its timeout, so their sum bounds the whole shutdown.</summary>
    private static readonly Lazy<Task<TimeSpan>> ShutdownBudget = new(async () =>
    {
        var system = ClusterBootstrap.CreateSystem(TestCluster.Config());
        try
        {
            var config = system.Settings.Config;
            var defaultTimeout = config.GetTimeSpan("akka.coordinated-shutdown.default-phase-timeout");
            return config.GetConfig("akka.coordinated-shutdown.phases").AsEnumerable()
                .Select(phase => config.GetTimeSpan($"akka.coordinated-shutdown.phases.{phase.Key}.timeout", defaultTimeout))
                .Aggregate(TimeSpan.Zero, (sum, timeout) => sum + timeout);
        }
        finally
        {
            await system.Terminate();
        }
    });

    private static Rendered Render(string overlay)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(overlay, out var rendered))
            {
                var run = Repo.Run(Kubectl.Program, "kustomize", Repo.Path("k8s", "overlays", overlay))
                          ?? throw new InvalidOperationException($"{Kubectl.Program} is not installed (CI installs it: .ci/run)");
                Assert.True(run.Exit == 0, $"kubectl kustomize k8s/overlays/{overlay} failed:\n{run.Stderr}");
                // strict: an unknown field anywhere (a typo such as "publishNotReadyAdresses") fails the parse.
                var objects = KubernetesYaml.LoadAllFromString(run.Stdout, strict: true);
                rendered = new Rendered(overlay, objects);
                Cache[overlay] = rendered;
            }

            return rendered;
        }
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Every_object_is_typed_and_in_the_overlay_namespace(string overlay)
    {
        var r = Render(overlay);
        Assert.All(r.Objects, o => Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(o));
        var ns = Assert.Single(r.Of<V1Namespace>()).Name();
        Assert.Equal(Promised[overlay].Namespace, ns);
        Assert.All(r.Objects.OfType<IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace),
            o => Assert.Equal(ns, o.Metadata.NamespaceProperty));
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Replicas_match_the_overlay(string overlay)
    {
        var r = Render(overlay);
        Assert.Equal(Promised[overlay].Nodes, r.Nodes.Spec.Replicas);
        if (!Promised[overlay].Hpa)
        {
            Assert.Equal(1, r.Gateways.Spec.Replicas);
            Assert.Empty(r.Of<V2HorizontalPodAutoscaler>());
            var postgres = Assert.Single(r.Of<V1StatefulSet>(), s => s.Name() == "callcluster-postgres");
            Assert.Contains(r.Of<V1Service>(), s => s.Name() == "callcluster-postgres" && s.Spec.Ports.Single().Port == 5432);
            Assert.Equal(5432, postgres.Spec.Template.Spec.Containers.Single().Ports.Single().ContainerPort);
        }
        else
        {
            Assert.True(r.Gateways.Spec.Replicas >= 2);
            var hpa = Assert.Single(r.Of<V2HorizontalPodAutoscaler>());
            Assert.Equal(GatewayName, hpa.Spec.ScaleTargetRef.Name);
            Assert.True(hpa.Spec.MinReplicas >= 2);
        }
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Call_nodes_are_a_StatefulSet_behind_a_headless_service_that_publishes_not_ready_addresses(string overlay)
    {
        var r = Render(overlay);
        var headless = Assert.Single(r.Of<V1Service>(), s => s.Name() == r.Nodes.Spec.ServiceName);
        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.True(headless.Spec.PublishNotReadyAddresses);
        Assert.True(Selects(headless.Spec.Selector, r.Nodes.Spec.Template));
        Assert.False(Selects(headless.Spec.Selector, r.Gateways.Spec.Template));
        Assert.True(Selects(r.Nodes.Spec.Selector.MatchLabels, r.Nodes.Spec.Template));
        Assert.True(Selects(r.Gateways.Spec.Selector.MatchLabels, r.Gateways.Spec.Template));
        Assert.Equal(ShardRegions.CallNodeRole, Env(r.Node)["CALLCLUSTER_ROLES"]);
        Assert.Equal(ShardRegions.GatewayRole, Env(r.Gateway)["CALLCLUSTER_ROLES"]);
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Env_variable_names_are_the_ones_the_processes_read(string overlay)
    {
        var r = Render(overlay);
        var read = VariablesTheProcessesRead(r);
        foreach (var container in new[] { r.Node, r.Gateway })
        {
            var names = container.Env.Select(e => e.Name).ToList();
            Assert.Equal(names.Count, names.Distinct().Count());
            Assert.All(names.Where(n => n.StartsWith("CALLCLUSTER_", StringComparison.Ordinal)),
                n => Assert.True(read.Contains(n), $"{container.Name} sets {n}, which no process reads ({string.Join(",", read.Order())})"));

            // $(VAR) only expands when VAR is defined earlier in the same container.
            for (var i = 0; i < container.Env.Count; i++)
            {
                foreach (Match m in DependentVar().Matches(container.Env[i].Value ?? ""))
                {
                    Assert.True(names.Take(i).Contains(m.Groups[1].Value),
                        $"{container.Name}: {container.Env[i].Name} uses $({m.Groups[1].Value}) before it is defined");
                }
            }
        }

        string[] bootstrap = ["CALLCLUSTER_DISCOVERY", "CALLCLUSTER_MANAGEMENT_HOST", "CALLCLUSTER_MANAGEMENT_PORT"];
        string[] node = ["CALLCLUSTER_ROLES", "CALLCLUSTER_AKKA_HOST", "CALLCLUSTER_AKKA_PORT", "CALLCLUSTER_AKKA_PUBLIC_HOST",
            "CALLCLUSTER_EVI_PORT", "CALLCLUSTER_EVI_ADVERTISE", "CALLCLUSTER_ADMIN_PORT", "CALLCLUSTER_PG", .. bootstrap];
        string[] gateway = ["CALLCLUSTER_ROLES", "CALLCLUSTER_AKKA_HOST", "CALLCLUSTER_AKKA_PORT", "CALLCLUSTER_AKKA_PUBLIC_HOST",
            "CALLCLUSTER_WS_PORT", "CALLCLUSTER_WS_HOST", "CALLCLUSTER_ADMIN_PORT", .. bootstrap];
        Assert.All(node, n => Assert.Contains(n, r.Node.Env.Select(e => e.Name)));
        Assert.All(gateway, n => Assert.Contains(n, r.Gateway.Env.Select(e => e.Name)));
        // Cluster Bootstrap replaces the hand-listed seeds: a seed list would make bootstrap bail out.
        Assert.DoesNotContain("CALLCLUSTER_SEEDS", r.Node.Env.Select(e => e.Name));
        Assert.DoesNotContain("CALLCLUSTER_SEEDS", r.Gateway.Env.Select(e => e.Name));
        Assert.Equal("0.0.0.0", Env(r.Node)["CALLCLUSTER_AKKA_HOST"]);
        Assert.Equal("0.0.0.0", Env(r.Gateway)["CALLCLUSTER_AKKA_HOST"]);
        // The node image has no built-in simulator (src/Apps/Node): every overlay names an OpenSIPS, real or simulated.
        Assert.True(Env(r.Node).ContainsKey("CALLCLUSTER_MI"), $"{overlay}: the call node has no CALLCLUSTER_MI");
    }

    /// <summary>Without a real OpenSIPS (dev, ingress) the overlay runs the standalone simulator image, and the call node
    /// talks to it through its Service; prod names a real proxy and runs no simulator.</summary>
    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Without_a_real_OpenSIPS_the_overlay_runs_the_standalone_simulator_and_points_the_node_at_it(string overlay)
    {
        var r = Render(overlay);
        var nodeEnv = Env(r.Node);
        var simulators = r.Of<V1Deployment>().Where(d => d.Name() == SimulatorName).ToList();
        if (Promised[overlay].RealProxy)
        {
            Assert.Empty(simulators);
            Assert.DoesNotContain(SimulatorName, nodeEnv["CALLCLUSTER_MI"], StringComparison.Ordinal);
            return;
        }

        var simulator = Assert.Single(simulators);
        Assert.Equal(1, simulator.Spec.Replicas);
        var container = simulator.Spec.Template.Spec.Containers.Single();
        Assert.Equal($"callcluster/simulator:{Promised[overlay].Tag}", container.Image);
        var args = container.Args.ToList();
        Assert.Equal("0.0.0.0", args[args.IndexOf("--bind") + 1]);
        var miPort = int.Parse(args[args.IndexOf("--mi-port") + 1]);
        Assert.Equal(miPort, Port(container, "mi", "UDP"));

        var service = Assert.Single(r.Of<V1Service>(), s => s.Name() == SimulatorName);
        var port = service.Spec.Ports.Single();
        Assert.Equal("UDP", port.Protocol);
        Assert.Equal("mi", port.TargetPort.Value);
        Assert.True(Selects(service.Spec.Selector, simulator.Spec.Template));
        Assert.True(Selects(simulator.Spec.Selector.MatchLabels, simulator.Spec.Template));
        Assert.Equal($"{SimulatorName}:{port.Port}", nodeEnv["CALLCLUSTER_MI"]);
        // The simulated proxy takes localhost on its SIP port as itself (the click-to-dial INVITE loops through it).
        Assert.Equal("sip:localhost:5060", nodeEnv["CALLCLUSTER_NEXT_HOP"]);
        // Not a cluster member: Cluster Bootstrap discovers the pods labelled like the call nodes and gateways.
        Assert.False(Selects(r.Nodes.Spec.Selector.MatchLabels, simulator.Spec.Template));
        Assert.NotEqual(r.Nodes.Spec.Template.Metadata.Labels["app.kubernetes.io/name"],
            simulator.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]);
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Ports_agree_between_env_containers_and_services(string overlay)
    {
        var r = Render(overlay);
        foreach (var container in new[] { r.Node, r.Gateway })
        {
            var env = Env(container);
            Assert.Equal(int.Parse(env["CALLCLUSTER_AKKA_PORT"]), Port(container, "akka", "TCP"));
            Assert.Equal(int.Parse(env["CALLCLUSTER_ADMIN_PORT"]), Port(container, "admin", "TCP"));
        }

        var headless = r.Of<V1Service>().Single(s => s.Name() == NodeName);
        Assert.Equal(Port(r.Node, "akka", "TCP"), headless.Spec.Ports.Single(p => p.Name == "akka").Port);

        // EVI: the node listens on CALLCLUSTER_EVI_PORT (UDP); the UDP Service forwards to it; OpenSIPS is told to
        // send to that Service.
        var nodeEnv = Env(r.Node);
        Assert.Equal(int.Parse(nodeEnv["CALLCLUSTER_EVI_PORT"]), Port(r.Node, "evi", "UDP"));
        var evi = r.Of<V1Service>().Single(s => s.Name() == EviServiceName);
        var eviPort = evi.Spec.Ports.Single();
        Assert.Equal("UDP", eviPort.Protocol);
        Assert.Equal("evi", eviPort.TargetPort.Value);
        Assert.True(Selects(evi.Spec.Selector, r.Nodes.Spec.Template));
        Assert.Equal($"udp:{EviServiceName}.$(POD_NAMESPACE).svc.cluster.local:{eviPort.Port}", nodeEnv["CALLCLUSTER_EVI_ADVERTISE"]);

        // The Call API: CALLCLUSTER_WS_PORT, the container's ws port and the Service on 5059.
        var gatewayEnv = Env(r.Gateway);
        Assert.Equal(5059, int.Parse(gatewayEnv["CALLCLUSTER_WS_PORT"]));
        Assert.Equal(5059, Port(r.Gateway, "ws", "TCP"));
        var service = r.Of<V1Service>().Single(s => s.Name() == GatewayName);
        var ws = service.Spec.Ports.Single();
        Assert.Equal(5059, ws.Port);
        Assert.Equal("ws", ws.TargetPort.Value);
        Assert.True(Selects(service.Spec.Selector, r.Gateways.Spec.Template));
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Probes_hit_the_admin_endpoint_paths_and_the_admin_endpoint_listens_on_the_pod_address(string overlay)
    {
        var r = Render(overlay);
        var hocon = r.Of<V1ConfigMap>().Single(c => c.Name().StartsWith("callcluster-hocon", StringComparison.Ordinal));
        foreach (var (container, pod) in new[] { (r.Node, r.Nodes.Spec.Template.Spec), (r.Gateway, r.Gateways.Spec.Template.Spec) })
        {
            Assert.Equal(AdminProtocol.LivePath, container.LivenessProbe.HttpGet.Path);
            Assert.Equal(AdminProtocol.ReadyPath, container.ReadinessProbe.HttpGet.Path);
            Assert.Equal(AdminProtocol.LivePath, container.StartupProbe.HttpGet.Path);
            Assert.All(new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe },
                p => Assert.Equal("admin", p.HttpGet.Port.Value));

            // The HOCON layer from the ConfigMap, mounted and passed with --config, read as the process reads it
            // (with this container's environment) over the shipped base.conf: the admin endpoint binds 0.0.0.0 on
            // the admin port the probes use.
            var mount = container.VolumeMounts.Single(m => m.MountPath == ConfigMount);
            Assert.Equal(hocon.Name(), pod.Volumes.Single(v => v.Name == mount.Name).ConfigMap.Name);
            var configArg = container.Args.SkipWhile(a => a != "--config").Skip(1).First();
            Assert.Equal($"{ConfigMount}/{hocon.Data.Keys.Single()}", configArg);
            var env = Env(container);
            Func<string, string?> lookup = name => env.GetValueOrDefault(name);
            var config = ConfigurationFactory.ParseString(HoconEnvironment.Apply(hocon.Data.Values.Single(), lookup))
                .WithFallback(ConfigLoader.ParseFile(Path.Combine(ConfigLoader.HoconDirectory, "base.conf")));
            var admin = AdminSettings.FromConfig(config, lookup);
            Assert.Equal("0.0.0.0", admin.Host);
            Assert.Equal(Port(container, "admin", "TCP"), admin.Port);
            Assert.Equal("0.0.0.0", config.GetString("callcluster.gateway.host"));
            Assert.Equal("0.0.0.0", config.GetString("callcluster.evi.bind-host"));
        }
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Call_nodes_and_gateways_form_one_cluster_with_Cluster_Bootstrap_over_the_Kubernetes_API(string overlay)
    {
        var r = Render(overlay);
        var hocon = r.Of<V1ConfigMap>().Single(c => c.Name().StartsWith("callcluster-hocon", StringComparison.Ordinal));
        var pods = new[] { (r.Node, r.Nodes.Spec.Template), (r.Gateway, r.Gateways.Spec.Template) };
        var podCount = (r.Nodes.Spec.Replicas ?? 1) + (r.Gateways.Spec.Replicas ?? 1);
        foreach (var (container, pod) in pods)
        {
            var env = Env(container);
            Assert.Equal("kubernetes", env["CALLCLUSTER_DISCOVERY"]);
            // The management endpoint is reached at the pod IP (the address the Kubernetes API reports) on the named port.
            Assert.Equal("$(POD_IP)", env["CALLCLUSTER_MANAGEMENT_HOST"]);
            Assert.Equal("status.podIP", container.Env.Single(e => e.Name == "POD_IP").ValueFrom.FieldRef.FieldPath);
            Assert.Equal(int.Parse(env["CALLCLUSTER_MANAGEMENT_PORT"]), Port(container, "management", "TCP"));

            // The Akka settings the process derives from the shipped base.conf, the ConfigMap layer and this env.
            Func<string, string?> lookup = name => env.GetValueOrDefault(name);
            var config = ConfigurationFactory.ParseString(HoconEnvironment.Apply(hocon.Data.Values.Single(), lookup))
                .WithFallback(ConfigurationFactory.ParseString(HoconEnvironment.Apply(
                    File.ReadAllText(Path.Combine(ConfigLoader.HoconDirectory, "base.conf")), lookup)));
            Assert.Equal(DiscoveryMode.Kubernetes, ClusterBootstrap.Discovery(config));
            Assert.Equal("", config.GetString("callcluster.seeds"));
            var akka = ClusterBootstrap.DiscoveryConfig(config);
            Assert.Equal("kubernetes-api", akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
            Assert.Equal("kubernetes-api", akka.GetString("akka.discovery.method"));
            Assert.Equal(Port(container, "management", "TCP"), akka.GetInt("akka.management.http.port"));
            Assert.Equal("management", akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name"));
            var requiredContactPoints = akka.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr");
            Assert.InRange(requiredContactPoints, 2, podCount);

            // The label selector (with the service name for {0}) selects both kinds of pod: one cluster.
            var serviceName = akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name");
            var selector = string.Format(System.Globalization.CultureInfo.InvariantCulture,
                akka.GetString("akka.discovery.kubernetes-api.pod-label-selector"), serviceName);
            var pairs = selector.Split(',', StringSplitOptions.TrimEntries)
                .Select(term => term.Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv[1]);
            Assert.All(pods, p => Assert.True(Selects(pairs, p.Item2),
                $"{selector} does not select the {p.Item1.Name} pods"));
        }

        // Each node advertises its stable DNS name as its Akka address; gateways (no stable name) their pod IP.
        Assert.Equal($"$(POD_NAME).{r.Nodes.Spec.ServiceName}.$(POD_NAMESPACE).svc.cluster.local", Env(r.Node)["CALLCLUSTER_AKKA_PUBLIC_HOST"]);
        Assert.Equal("metadata.name", r.Node.Env.Single(e => e.Name == "POD_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", r.Node.Env.Single(e => e.Name == "POD_NAMESPACE").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("$(POD_IP)", Env(r.Gateway)["CALLCLUSTER_AKKA_PUBLIC_HOST"]);
        Assert.Equal("status.podIP", r.Gateway.Env.Single(e => e.Name == "POD_IP").ValueFrom.FieldRef.FieldPath);
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void The_pods_run_as_a_ServiceAccount_that_may_read_the_pods_of_its_namespace(string overlay)
    {
        var r = Render(overlay);
        var ns = r.Of<V1Namespace>().Single().Name();
        var account = Assert.Single(r.Of<V1ServiceAccount>());
        Assert.Equal(account.Name(), r.Nodes.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal(account.Name(), r.Gateways.Spec.Template.Spec.ServiceAccountName);

        var binding = Assert.Single(r.Of<V1RoleBinding>());
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal("ServiceAccount", subject.Kind);
        Assert.Equal(account.Name(), subject.Name);
        Assert.Equal(ns, subject.NamespaceProperty);
        Assert.Equal("Role", binding.RoleRef.Kind);
        var role = r.Of<V1Role>().Single(x => x.Name() == binding.RoleRef.Name);
        // Only reading pods, and only here: no ClusterRole.
        Assert.Empty(r.Of<V1ClusterRole>());
        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "watch"], rule.Verbs.Order());
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public async Task Grace_period_covers_the_coordinated_shutdown_budget_and_the_preStop_leave(string overlay)
    {
        var r = Render(overlay);
        var budget = await ShutdownBudget.Value;
        Assert.Equal(TimeSpan.FromSeconds(85), budget); // documented in the manifests and k8s/README.md
        var preStopBudget = TimeSpan.FromSeconds(30); // callctl's request timeout
        foreach (var (container, pod) in new[] { (r.Node, r.Nodes.Spec.Template.Spec), (r.Gateway, r.Gateways.Spec.Template.Spec) })
        {
            Assert.True(pod.TerminationGracePeriodSeconds >= (budget + preStopBudget).TotalSeconds,
                $"{container.Name}: terminationGracePeriodSeconds {pod.TerminationGracePeriodSeconds} < {budget} + {preStopBudget}");
            Assert.Equal(["callctl", "cluster", "leave"], container.Lifecycle.PreStop.Exec.Command);
            Assert.NotNull(container.Resources.Requests["cpu"]);
            Assert.NotNull(container.Resources.Requests["memory"]);
        }
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void The_PodDisruptionBudget_selects_the_call_nodes(string overlay)
    {
        var r = Render(overlay);
        var pdb = Assert.Single(r.Of<V1PodDisruptionBudget>(), p => Selects(p.Spec.Selector.MatchLabels, r.Nodes.Spec.Template));
        Assert.False(Selects(pdb.Spec.Selector.MatchLabels, r.Gateways.Spec.Template));
        Assert.Equal(1, pdb.Spec.MaxUnavailable.Value is string s ? int.Parse(s) : Convert.ToInt32(pdb.Spec.MaxUnavailable.Value));
        Assert.Contains(r.Of<V1PodDisruptionBudget>(), p => Selects(p.Spec.Selector.MatchLabels, r.Gateways.Spec.Template));
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Both_PodDisruptionBudgets_allow_one_pod_down_and_select_something(string overlay)
    {
        var r = Render(overlay);
        Assert.Equal(2, r.Of<V1PodDisruptionBudget>().Count());
        foreach (var pdb in r.Of<V1PodDisruptionBudget>())
        {
            Assert.Null(pdb.Spec.MinAvailable); // maxUnavailable alone: a one-replica dev set can still be drained
            Assert.Equal("1", pdb.Spec.MaxUnavailable.Value?.ToString());
            Assert.True(Selects(pdb.Spec.Selector.MatchLabels, r.Nodes.Spec.Template)
                        ^ Selects(pdb.Spec.Selector.MatchLabels, r.Gateways.Spec.Template), $"{pdb.Name()} selects one kind of pod");
        }
    }

    /// <summary>The overlay's image tag reaches every CallCluster container (the base once renamed the images, so the
    /// overlays' <c>images:</c> matched nothing and prod rendered <c>:latest</c>).</summary>
    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Images_carry_the_overlays_tag(string overlay)
    {
        var r = Render(overlay);
        var tag = Promised[overlay].Tag;
        Assert.Equal($"callcluster/node:{tag}", r.Node.Image);
        Assert.Equal($"callcluster/gateway:{tag}", r.Gateway.Image);
        var containers = r.Of<V1StatefulSet>().SelectMany(s => s.Spec.Template.Spec.Containers)
            .Concat(r.Of<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers));
        Assert.All(containers, c =>
        {
            Assert.Contains(':', c.Image);
            Assert.False(c.Image.EndsWith(":latest", StringComparison.Ordinal), $"{c.Name} runs {c.Image}");
        });
    }

    /// <summary>Requests make the pods schedulable and the gateway HPA-ready; a memory limit above the request bounds
    /// a leak without throttling the CPU (no CPU limit: a throttled node misses Akka heartbeats).</summary>
    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Containers_request_cpu_and_memory_and_limit_memory_only(string overlay)
    {
        var r = Render(overlay);
        foreach (var container in new[] { r.Node, r.Gateway })
        {
            var requests = container.Resources.Requests;
            var limits = container.Resources.Limits;
            Assert.True(requests["cpu"].ToDecimal() > 0, $"{container.Name}: cpu request");
            Assert.True(limits["memory"].ToDecimal() >= requests["memory"].ToDecimal(), $"{container.Name}: memory limit below request");
            Assert.False(limits.ContainsKey("cpu"), $"{container.Name}: cpu limit");
        }

        // The dev overlays shrink the call node's requests to fit a laptop; prod raises them (overlays/prod/node-cluster.yaml).
        var nodeRequests = r.Node.Resources.Requests;
        (string Cpu, string Memory) expected = Promised[overlay].InClusterPostgres ? ("250m", "384Mi") : ("1", "1Gi");
        Assert.Equal(new ResourceQuantity(expected.Cpu).ToDecimal(), nodeRequests["cpu"].ToDecimal());
        Assert.Equal(new ResourceQuantity(expected.Memory).ToDecimal(), nodeRequests["memory"].ToDecimal());
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void Only_the_ingress_overlay_has_an_Ingress_and_it_reaches_the_gateway_service(string overlay)
    {
        var r = Render(overlay);
        if (!Promised[overlay].Ingress)
        {
            Assert.Empty(r.Of<V1Ingress>());
            Assert.False(Env(r.Gateway).ContainsKey("CALLCLUSTER_ALLOWED_ORIGINS"));
            return;
        }

        var ingress = Assert.Single(r.Of<V1Ingress>());
        var rule = Assert.Single(ingress.Spec.Rules);
        var path = Assert.Single(rule.Http.Paths);
        Assert.Equal("/call-api", path.Path);
        var service = r.Of<V1Service>().Single(s => s.Name() == path.Backend.Service.Name);
        Assert.Equal(service.Spec.Ports.Single().Port, path.Backend.Service.Port.Number);
        Assert.Contains(rule.Host, Assert.Single(ingress.Spec.Tls).Hosts);
        Assert.Equal($"https://{rule.Host}", Env(r.Gateway)["CALLCLUSTER_ALLOWED_ORIGINS"]);
    }

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public void PostgreSQL_credentials_come_from_a_Secret(string overlay)
    {
        var r = Render(overlay);
        var pg = r.Node.Env.Single(e => e.Name == "CALLCLUSTER_PG");
        Assert.Null(pg.Value);
        var secretRef = pg.ValueFrom.SecretKeyRef;
        Assert.Equal("connection-string", secretRef.Key);
        if (Promised[overlay].InClusterPostgres)
        {
            var secret = Assert.Single(r.Of<V1Secret>(), s => s.Name() == secretRef.Name);
            var connection = System.Text.Encoding.UTF8.GetString(secret.Data["connection-string"]);
            Assert.Contains("Host=callcluster-postgres;", connection);
            var postgres = r.Of<V1StatefulSet>().Single(s => s.Name() == "callcluster-postgres").Spec.Template.Spec.Containers.Single();
            Assert.Equal(secretRef.Name, postgres.Env.Single(e => e.Name == "POSTGRES_PASSWORD").ValueFrom.SecretKeyRef.Name);
        }
        else
        {
            Assert.Equal("callcluster-postgres", secretRef.Name); // created by the operator (see the prod overlay)
            Assert.Empty(r.Of<V1Secret>());
        }
    }

    [Fact]
    public void Dockerfiles_publish_the_processes_and_callctl()
    {
        foreach (var (file, dll, project) in new[]
                 {
                     ("node.Dockerfile", "callcluster-node.dll", "src/Apps/Node/Apps.Node.csproj"),
                     ("gateway.Dockerfile", "callcluster-gateway.dll", "src/Apps/Gateway/Apps.Gateway.csproj"),
                 })
        {
            var text = File.ReadAllText(Repo.Path("k8s", "docker", file));
            Assert.Contains($"dotnet publish {project}", text);
            Assert.Contains("dotnet publish src/Admin/Admin.csproj", text);
            Assert.Contains($"ENTRYPOINT [\"dotnet\", \"/app/{dll}\"]", text);
            Assert.Contains("/usr/local/bin/callctl", text);
            Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0", text);
            Assert.True(File.Exists(Repo.Path(project)), project);
            Assert.True(File.Exists(Repo.Path("k8s", "docker", file + ".dockerignore")));
            // The build stage copies the projects it publishes, not the whole src/ (which holds the simulator).
            Assert.DoesNotContain("COPY src/ src/", text);
        }

        var simulator = File.ReadAllText(Repo.Path("k8s", "docker", "simulator.Dockerfile"));
        Assert.Contains("dotnet publish src/Apps/Simulator/Apps.Simulator.csproj", simulator);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/callcluster-simulator.dll\"]", simulator);
        Assert.True(File.Exists(Repo.Path("k8s", "docker", "simulator.Dockerfile.dockerignore")));
    }

    /// <summary>The production images carry what their app references and nothing else: the node image neither copies
    /// nor restores the simulator, the gateway image neither the node nor the simulator.</summary>
    [Fact]
    public void The_node_and_gateway_images_are_built_without_the_simulator()
    {
        // The instructions, not the comments (which may say what is left out).
        static string Instructions(string file) => string.Join('\n',
            File.ReadAllLines(Repo.Path("k8s", "docker", file)).Where(l => !l.TrimStart().StartsWith('#')));
        var node = Instructions("node.Dockerfile");
        var gateway = Instructions("gateway.Dockerfile");
        Assert.DoesNotContain("src/Simulator", node, StringComparison.Ordinal);
        Assert.DoesNotContain("src/Apps/Simulator", node, StringComparison.Ordinal);
        Assert.DoesNotContain("src/Simulator", gateway, StringComparison.Ordinal);
        Assert.DoesNotContain("src/Node", gateway, StringComparison.Ordinal);

        // Every project the image's app references is copied into the build stage (or the restore would fail).
        foreach (var (text, app) in new[] { (node, "src/Apps/Node/Apps.Node.csproj"), (gateway, "src/Apps/Gateway/Apps.Gateway.csproj") })
        {
            foreach (var project in ProjectGraph.Closure(app))
            {
                Assert.Contains($"COPY {project} {Path.GetDirectoryName(project)!.Replace('\\', '/')}/", text);
                Assert.Contains($"COPY {Path.GetDirectoryName(project)!.Replace('\\', '/')}/ ", text);
            }
        }
    }

    /// <summary>Environment variables a process reads: the <c>${?VAR}</c> substitutions of the shipped HOCON and of
    /// the ConfigMap layer, and the admin endpoint's own fallbacks.</summary>
    private static HashSet<string> VariablesTheProcessesRead(Rendered r)
    {
        var texts = Directory.GetFiles(ConfigLoader.HoconDirectory, "*.conf").Select(File.ReadAllText)
            .Concat(r.Of<V1ConfigMap>().SelectMany(c => c.Data.Values));
        var names = texts.SelectMany(t => OptionalSubstitution().Matches(t).Select(m => m.Groups[1].Value)).ToHashSet();
        names.Add(AdminProtocol.PortVariable);
        names.Add(AdminProtocol.HostVariable);
        return names;
    }

    private static Dictionary<string, string> Env(V1Container c) =>
        c.Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);

    private static int Port(V1Container c, string name, string protocol)
    {
        var port = c.Ports.Single(p => p.Name == name);
        Assert.Equal(protocol, port.Protocol ?? "TCP");
        return port.ContainerPort;
    }

    private static bool Selects(IDictionary<string, string> selector, V1PodTemplateSpec pod) =>
        selector.Count > 0 && selector.All(kv => pod.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    [GeneratedRegex(@"\$\{\?([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex OptionalSubstitution();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex DependentVar();

    private sealed class Rendered(string overlay, IReadOnlyList<object> objects)
    {
        public string Overlay { get; } = overlay;

        public IReadOnlyList<object> Objects { get; } = objects;

        public IEnumerable<T> Of<T>() => Objects.OfType<T>();

        public V1StatefulSet Nodes => Of<V1StatefulSet>().Single(s => s.Name() == NodeName);

        public V1Deployment Gateways => Of<V1Deployment>().Single(d => d.Name() == GatewayName);

        public V1Container Node => Nodes.Spec.Template.Spec.Containers.Single();

        public V1Container Gateway => Gateways.Spec.Template.Spec.Containers.Single();
    }
}

/// <summary>A theory that needs kubectl (with its built-in kustomize). Skipped with the reason when it is missing on a
/// developer's machine; never on CI (CI=true), where .ci/run installs one and a missing kubectl must fail the run.</summary>
public sealed class KubectlTheoryAttribute : TheoryAttribute
{
    public KubectlTheoryAttribute()
    {
        if (!Kubectl.Available && !Kubectl.OnCi)
        {
            Skip = $"{Kubectl.Program} is not installed: the Kubernetes manifests cannot be rendered here " +
                   "(install kubectl, or set CALLCLUSTER_KUBECTL to one; .ci/run shows how)";
        }
    }
}

public static class Kubectl
{
    /// <summary>CALLCLUSTER_KUBECTL (what .ci/run installs), else kubectl on the PATH.</summary>
    public static string Program { get; } =
        Environment.GetEnvironmentVariable("CALLCLUSTER_KUBECTL") is { Length: > 0 } configured ? configured : "kubectl";

    public static bool Available { get; } = Repo.Run(Program, "version", "--client") is { Exit: 0 };

    public static bool OnCi { get; } = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
