using System.Net;
using CallCluster.Simulator;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>An embedded node talking to a standalone simulator through two <see cref="UdpRelay"/>s, all on free
/// 127.0.0.1 ports: MI (node ⇄ relay ⇄ simulator) and EVI (simulator → relay → node; the node advertises the relay's
/// socket). The simulator can be killed and started again on the same port, as an OpenSIPS restart.</summary>
public sealed class RelayedNode : IAsyncDisposable
{
    private readonly SimulatorOptions _simulatorOptions;

    private RelayedNode(SimulatorOptions options, OpenSipsSimulator simulator, UdpRelay mi, UdpRelay evi, EmbeddedNode node)
    {
        _simulatorOptions = options;
        Simulator = simulator;
        Mi = mi;
        Evi = evi;
        Node = node;
    }

    public OpenSipsSimulator? Simulator { get; private set; }

    public UdpRelay Mi { get; }

    public UdpRelay Evi { get; }

    public EmbeddedNode Node { get; }

    public static async Task<RelayedNode> StartAsync(string overrides = "", int seed = 16, SimulatorOptions? simulator = null)
    {
        var options = (simulator ?? new SimulatorOptions { AnswerDelay = TimeSpan.FromMilliseconds(10) }) with
        {
            MiPort = FreePort.Udp(),
            SipPort = FreePort.Udp(),
        };
        var sim = await OpenSipsSimulator.StartAsync(options);
        var nodeEviPort = FreePort.Udp();
        var mi = new UdpRelay(sim.MiEndPoint, seed);
        var evi = new UdpRelay(new IPEndPoint(IPAddress.Loopback, nodeEviPort), seed + 1);
        try
        {
            var node = await EmbeddedNode.StartAsync($$"""
                callcluster.mi.address = "127.0.0.1:{{mi.EndPoint.Port}}"
                callcluster.commands.call-start.next-hop = "sip:127.0.0.1:{{options.SipPort}}"
                callcluster.evi.port = {{nodeEviPort}}
                callcluster.evi.advertise = "udp:127.0.0.1:{{evi.EndPoint.Port}}"
                {{overrides}}
                """);
            return new RelayedNode(options, sim, mi, evi, node);
        }
        catch
        {
            await mi.DisposeAsync();
            await evi.DisposeAsync();
            await sim.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the simulator (every dialog, transaction and subscription it held is gone).</summary>
    public async Task KillSimulatorAsync()
    {
        if (Simulator is { } s)
        {
            Simulator = null;
            await s.DisposeAsync();
        }
    }

    /// <summary>Starts a fresh simulator on the same MI port, as OpenSIPS restarted.</summary>
    public async Task RestartSimulatorAsync() => Simulator = await OpenSipsSimulator.StartAsync(_simulatorOptions);

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        await Mi.DisposeAsync();
        await Evi.DisposeAsync();
        await KillSimulatorAsync();
    }
}
