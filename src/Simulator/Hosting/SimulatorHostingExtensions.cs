using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using CallCluster.Hosting;
using CallCluster.Hosting.Composition;

namespace CallCluster.Simulator.Hosting;

/// <summary>Sandbox mode as a host feature: the OpenSIPS simulator started inside the process's ActorSystem when no
/// OpenSIPS MI address is configured (the embedded default, src/Apps/Embedded).</summary>
public static class SimulatorHostingExtensions
{
    /// <summary>The sandbox's simulator MI port (sandbox.conf) and the variable that pins it.</summary>
    private const int SandboxMiPort = 8080;
    private const string SandboxMiPortVariable = "CALLCLUSTER_SIM_MI_PORT";

    /// <summary>Starts the simulator unless callcluster.mi.address is set, and closes it once the node has left the
    /// cluster.</summary>
    /// <param name="started">Told the simulator and the options it runs with (its SIP address is the next hop of
    /// click-to-dial INVITEs), before the features after this one start.</param>
    public static AkkaConfigurationBuilder WithSimulator(this AkkaConfigurationBuilder akka,
        Action<OpenSipsSimulator, SimulatorOptions> started) =>
        akka.AddStartupStep(async (system, _) =>
        {
            if (!string.IsNullOrWhiteSpace(system.Settings.Config.GetString("callcluster.mi.address", "")))
            {
                return;
            }

            var options = SimulatorOptions.FromConfig(system.Settings.Config);
            var simulator = await StartAsync(system, options).ConfigureAwait(false);
            system.Log.Warning(
                "No OpenSIPS MI address configured (callcluster.mi.address / CALLCLUSTER_MI): sandbox mode, using the built-in " +
                "OpenSIPS simulator at {0}", simulator.MiEndPoint);
            started(simulator, options);
            // After the node has left the cluster and handed its dialogs off: they may still send MI requests until then.
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "close-simulator", async () =>
            {
                await simulator.DisposeAsync().ConfigureAwait(false);
                return Akka.Done.Instance;
            });
        });

    private static async Task<OpenSipsSimulator> StartAsync(ActorSystem system, SimulatorOptions options)
    {
        try
        {
            return await OpenSipsSimulator.StartAsync(options, system).ConfigureAwait(false);
        }
        catch (Exception e) when (PortInUse.Is(e) && options.MiPort == SandboxMiPort
                                  && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SandboxMiPortVariable)))
        {
            // 8080 is the sandbox's preference, shared by every node on the host: a second sandbox node that did not ask
            // for it takes any free port (docs/faults-and-bad-input.md).
            system.Log.Warning("Simulator MI port {0} is in use and was not asked for ({1} unset): the built-in simulator " +
                "takes a free port instead; set {1} or callcluster.simulator.mi-port to pin it", options.MiPort, SandboxMiPortVariable);
            return await OpenSipsSimulator.StartAsync(options with { MiPort = 0 }, system).ConfigureAwait(false);
        }
        catch (Exception e) when (PortInUse.Is(e))
        {
            throw PortInUse.Error("Simulator MI (UDP)", $"{options.BindAddress}:{options.MiPort}",
                $"callcluster.simulator.mi-port or {SandboxMiPortVariable}", e);
        }
    }
}
