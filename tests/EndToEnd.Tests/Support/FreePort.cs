using System.Net;
using System.Net.Sockets;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>Ports picked free at run time (bound, read, released) for processes that need them fixed across restarts.</summary>
public static class FreePort
{
    public static int Tcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static int Udp()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }
}
