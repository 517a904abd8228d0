using Akka.Event;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace CallCluster.Hosting;

/// <summary>Says in the log which signal stops the process. The Generic Host's console lifetime handles Ctrl-C (SIGINT)
/// and SIGTERM (it stops the host, and Akka.Hosting then runs CoordinatedShutdown: the node leaves the cluster, hands
/// its shards off and closes its sockets); the line lets a reader, and the cluster tests, tell a signal from the
/// ActorSystem stopping by itself.</summary>
public static class ShutdownSignals
{
    public static IDisposable LogSignals(ActorSystem system)
    {
        void Handler(PosixSignalContext context) => system.Log.Info("Signal {0} received: shutting down", context.Signal);

        var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler);
        var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler);
        return new Both(sigint, sigterm);
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
