using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CallCluster.TestSupport;

/// <summary>
/// Ports picked free at run time for processes that need them fixed across restarts.
/// A port is chosen below the kernel's ephemeral range (net.ipv4.ip_local_port_range) and checked by binding it over
/// TCP and UDP. Why not bind port 0 and release it: the kernel hands ephemeral ports to every outgoing connection too,
/// so between release and the child's bind another process's outgoing socket took the port (a CI run lost a cluster
/// start to "Address already in use" on the gateway's remoting port). Ports below the range are never given out
/// implicitly, and a port is handed out once per test process.
/// </summary>
public static class FreePort
{
    private const int LowestPort = 10_000;
    private static readonly ConcurrentDictionary<int, bool> HandedOut = new();
    private static readonly int EphemeralStart = ReadEphemeralStart();

    public static int Tcp() => Pick();

    public static int Udp() => Pick();

    private static int Pick()
    {
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            var port = Random.Shared.Next(LowestPort, EphemeralStart);
            if (HandedOut.TryAdd(port, true) && IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port between {LowestPort} and {EphemeralStart} after 1,000 tries");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var tcp = new TcpListener(IPAddress.Loopback, port);
            tcp.Start();
            tcp.Stop();
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int ReadEphemeralStart()
    {
        // "32768\t60999" on Linux; fall back to the IANA dynamic range start elsewhere.
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        if (File.Exists(range) && int.TryParse(File.ReadAllText(range).Split('\t', ' ')[0], out var start) && start > LowestPort + 1_000)
        {
            return start;
        }

        return 49_152;
    }
}
