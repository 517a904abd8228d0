using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using CallCluster.Hosting;
using CallCluster.Hosting.Composition;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Composition;

/// <summary>The EVI listener: the UDP socket OpenSIPS sends its dialog events to.</summary>
public static class EviHostingExtensions
{
    /// <summary>Listens through the EVI router (a leaving node hands its events to another call node: EviRouter says why;
    /// it switches at CoordinatedShutdown's before-cluster-shutdown phase), and closes the socket once the node has left
    /// the cluster.</summary>
    public static AkkaConfigurationBuilder WithEviListener(this AkkaConfigurationBuilder akka, NodeParts parts) =>
        akka.AddStartupStep(async (system, registry) =>
        {
            var settings = EviSettings.FromConfig(system.Settings.Config);
            var router = system.ActorOf(EviRouter.Props(registry.Get<ActorKeys.DialogRegion>()), "evi-router");
            EviListener evi;
            try
            {
                evi = await EviListener.Start(system, settings, router).ConfigureAwait(false);
            }
            catch (Exception e) when (PortInUse.Is(e))
            {
                throw PortInUse.Error("EVI listener (UDP)", $"{settings.BindHost}:{settings.Port}",
                    "callcluster.evi.port or CALLCLUSTER_EVI_PORT", e);
            }

            system.Log.Info("EVI listener on {0}, advertised to OpenSIPS as {1}", evi.LocalEndPoint, evi.AdvertisedSocket);
            parts.Evi = evi;
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "close-evi-listener", async () =>
            {
                await evi.DisposeAsync().ConfigureAwait(false);
                return Akka.Done.Instance;
            });
        });
}
