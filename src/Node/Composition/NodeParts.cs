using Akka.Actor;
using CallCluster.Gateway;
using CallCluster.Hosting.Admin;
using CallCluster.Node.Admin;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Composition;

/// <summary>What the node's features started that is not an actor in Akka.Hosting's registry: the sockets a later feature
/// or <see cref="NodeHost"/>'s properties need, and the admin palettes the features contribute. Written by the start-up
/// steps only, which Akka.Hosting runs one at a time, and read after the start.</summary>
public sealed class NodeParts
{
    /// <summary>The MI endpoint of an OpenSIPS stand-in the host started in this process (the embedded default's
    /// simulator), used when callcluster.mi.address is empty; null: the configured OpenSIPS.</summary>
    public System.Net.IPEndPoint? LocalMi { get; set; }

    public EviListener? Evi { get; set; }

    public GatewayServer? Gateway { get; set; }

    /// <summary>The call-event log reader (EventsSubscribe, webhooks); null when this node does not read it.</summary>
    public Gateway.Events.EventSource? Events { get; set; }

    /// <summary>The MI pool (call nodes only).</summary>
    public IActorRef? Mi { get; set; }

    public IActorRef? Subscriptions { get; set; }

    /// <summary>Where click-to-dial INVITEs loop through unless callcluster.commands.call-start.next-hop says (the
    /// stand-in's SIP address when there is one).</summary>
    public string DefaultNextHop { get; set; } = "";

    public List<IAdminPalette> Palettes { get; } = [];

    /// <summary>The OpenSIPS connector's last health report, which /healthz/ready checks on a call node; null on a
    /// gateway-only node.</summary>
    public ConnectorHealth.HealthState? Connector { get; set; }
}
