using Akka.Configuration;
using Akka.Hosting;
using CallCluster.Node;
using CallCluster.Node.Composition;
using CallCluster.Simulator;
using CallCluster.Simulator.Hosting;
using Microsoft.Extensions.Hosting;

namespace CallCluster.Apps.Embedded;

/// <summary>The embedded default's composition: a node (<see cref="NodeHost"/>, both roles by default) whose OpenSIPS is
/// the built-in simulator when no MI address is configured (sandbox mode). The executable (Program) and the tests that
/// start the embedded default in-process both compose it here.</summary>
public sealed class EmbeddedHost
{
    private readonly Sandbox _sandbox;

    private EmbeddedHost(NodeHost node, Sandbox sandbox)
    {
        Node = node;
        _sandbox = sandbox;
    }

    public NodeHost Node { get; }

    /// <summary>The built-in simulator; null when callcluster.mi.address names an OpenSIPS.</summary>
    public OpenSipsSimulator? Simulator => _sandbox.Simulator;

    /// <summary>A node's layers and sandbox.conf (the simulator's settings), lowest priority first.</summary>
    public static IReadOnlyList<string> Layers() => [.. NodeHost.DefaultLayers(), "sandbox.conf"];

    /// <summary>The process's host, stopped by SIGTERM and Ctrl-C.</summary>
    public static IHost Build(Config config) => NodeHost.Build(config, new NodeParts(), ownsProcess: true, new Sandbox().AddTo);

    /// <summary>Starts the embedded default in this process and returns once every feature has started (tests).</summary>
    public static async Task<EmbeddedHost> StartAsync(Config config, CancellationToken ct = default)
    {
        var sandbox = new Sandbox();
        var node = await NodeHost.StartAsync(config, sandbox.AddTo, ct).ConfigureAwait(false);
        return new EmbeddedHost(node, sandbox);
    }

    /// <summary>The simulator as the node's OpenSIPS stand-in: its MI socket, and its SIP address as the next hop of
    /// click-to-dial INVITEs. Written by the start-up step, read once the start has completed.</summary>
    private sealed class Sandbox
    {
        public OpenSipsSimulator? Simulator { get; private set; }

        public void AddTo(AkkaConfigurationBuilder akka, NodeParts parts) => akka.WithSimulator((simulator, options) =>
        {
            Simulator = simulator;
            parts.LocalMi = simulator.MiEndPoint;
            parts.DefaultNextHop = $"sip:{options.BindAddress}:{options.SipPort}";
        });
    }
}
