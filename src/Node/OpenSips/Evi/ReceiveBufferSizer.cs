using System.Net.Sockets;

namespace CallCluster.Node.OpenSips;

/// <summary>Sizes a socket's kernel receive buffer: the only place datagrams can wait while the process is busy
/// (a GC pause, a burst of call creation), and OpenSIPS never resends an event.</summary>
internal static class ReceiveBufferSizer
{
    // Linux: <asm-generic/socket.h>. SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN.
    private const int SolSocket = 1;
    private const int SoRcvBufForce = 33;

    /// <summary>What the kernel granted.</summary>
    /// <param name="Requested">The configured size in bytes.</param>
    /// <param name="Effective">The size read back (Linux reports twice the granted value: it counts its own
    /// bookkeeping per datagram).</param>
    /// <param name="Forced">SO_RCVBUFFORCE was accepted.</param>
    public readonly record struct Result(int Requested, int Effective, bool Forced)
    {
        /// <summary>False when the kernel capped the request (Linux: at net.core.rmem_max).</summary>
        public bool Granted => (long)Effective >= (OperatingSystem.IsLinux() ? 2L * Requested : Requested);
    }

    public static Result Apply(Socket socket, int requested)
    {
        var forced = false;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(requested));
                forced = true;
            }
            catch (SocketException)
            {
                // EPERM without CAP_NET_ADMIN: SO_RCVBUF below, capped at net.core.rmem_max.
            }
        }
        if (!forced)
        {
            try
            {
                socket.ReceiveBufferSize = requested;
            }
            catch (SocketException)
            {
                // Some platforms refuse sizes above their maximum outright; the read-back below reports what is left.
            }
        }
        return new Result(requested, socket.ReceiveBufferSize, forced);
    }
}
