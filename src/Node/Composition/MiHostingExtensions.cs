using Akka.Event;
using Akka.Hosting;
using CallCluster.Hosting;
using CallCluster.Hosting.Composition;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Composition;

/// <summary>The MI pool: the node's requests to OpenSIPS's management interface (or to the stand-in the host started:
/// <see cref="NodeParts.LocalMi"/>).</summary>
public static class MiHostingExtensions
{
    /// <summary>Targets the configured OpenSIPS, or else the host's stand-in (the embedded default's simulator); the
    /// default next hop of click-to-dial INVITEs must loop through the proxy itself: OpenSIPS's MI host on the
    /// standard SIP port (override: callcluster.commands.call-start.next-hop), or the simulator's SIP address.</summary>
    public static AkkaConfigurationBuilder WithMiPool(this AkkaConfigurationBuilder akka, NodeParts parts) =>
        akka.AddStartupStep((system, _) =>
        {
            var config = system.Settings.Config;
            System.Net.IPEndPoint target;
            if (!string.IsNullOrWhiteSpace(config.GetString("callcluster.mi.address", "")))
            {
                target = MiSettings.FromConfig(config).Target;
                system.Log.Info("OpenSIPS MI at {0}", target);
                parts.DefaultNextHop = $"sip:{target.Address}:5060";
            }
            else
            {
                target = parts.LocalMi ?? throw NodeHost.NoOpenSips();
            }

            parts.Mi = system.ActorOf(MiPool.Props(MiSettings.FromConfig(config, target)), "mi-pool");
            return Task.CompletedTask;
        });
}
