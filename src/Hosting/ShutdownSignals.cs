using Akka.Event;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace CallCluster.Hosting;

/// <summary>Ctrl-C (SIGINT) and SIGTERM run CoordinatedShutdown instead of killing the process, so the node
/// leaves the cluster, hands its shards off and closes its sockets before it exits.</summary>
public static class ShutdownSignals
{
    public static IDisposable RunCoordinatedShutdownOnSignals(ActorSystem system)
    {
        void Handler(PosixSignalContext context)
        {
            context.Cancel = true;
            system.Log.Info("Signal {0} received: shutting down", context.Signal);
            _ = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        }

        var registrations = new[]
        {
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler),
        };
        return new CompositeDisposable(registrations);
    }

    private sealed class CompositeDisposable(IReadOnlyList<IDisposable> parts) : IDisposable
    {
        public void Dispose()
        {
            foreach (var part in parts)
            {
                part.Dispose();
            }
        }
    }
}
