using System.Net;
using System.Net.Sockets;
using CallCluster.Simulator.Faults;

namespace CallCluster.Simulator.Mi;

/// <summary>Where a reply goes: the request's source address and its id (Absent = notification, no reply).</summary>
public sealed record MiReplyTarget(EndPoint Remote, MiId Id);

/// <summary>Sends MI replies from the MI socket to the request's source, as mi_datagram does. Thread-safe (stateless).</summary>
public sealed class MiReplier
{
    private readonly Socket _socket;
    private readonly Outbound _outbound;

    public MiReplier(Socket socket, Outbound outbound)
    {
        _socket = socket;
        _outbound = outbound;
    }

    public void Reply(MiReplyTarget target, MiResult result)
    {
        // JSON-RPC notifications run but never get a reply, not even an error (observed live).
        if (target.Id.IsNotification && result is not MiPlain) return;
        _outbound.Send(_socket, MiReplyWriter.Build(target.Id, result), target.Remote);
    }
}
