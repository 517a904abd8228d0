using CallCluster.Gateway.Events;

namespace CallCluster.Node.Webhooks;

/// <summary>One event to deliver to one endpoint. <see cref="DeliveryId"/> is the same on every attempt, and after a
/// restart too (it is made of the endpoint and the event's cursor).</summary>
public sealed class Delivery(StoredCallEvent stored, string deliveryId)
{
    public StoredCallEvent Stored { get; } = stored;

    public string DeliveryId { get; } = deliveryId;

    public int Attempts { get; set; }

    public string LastError { get; set; } = "";
}
