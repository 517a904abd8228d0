using System.Net;
using System.Net.Sockets;
using Akka.Actor;

namespace CallCluster.Simulator.Faults;

/// <summary>One datagram to send from a given socket.</summary>
public sealed record OutDatagram(Socket Socket, byte[] Data, EndPoint To);

/// <summary>Every datagram the simulator sends (MI replies, events) leaves through here, so the fault switch can drop or reorder them.</summary>
public sealed class Outbound
{
    private readonly IActorRef? _faults;

    public Outbound(IActorRef? faults) => _faults = faults;

    public void Send(Socket socket, byte[] data, EndPoint to)
    {
        if (_faults is null) SendNow(socket, data, to);
        else _faults.Tell(new OutDatagram(socket, data, to));
    }

    /// <summary>UDP send; a failed send is a lost datagram, as it would be on the wire.</summary>
    public static void SendNow(Socket socket, byte[] data, EndPoint to)
    {
        try { socket.SendTo(data, SocketFlags.None, to); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }
}
