namespace CallCluster.Contracts;

/// <summary>Marker for every message and persisted event that may leave a process or reach the journal:
/// the MessagePack serializer is bound to it in HOCON, so nothing falls back to Akka's slow JSON default.
/// Every concrete implementation needs a line in <see cref="Serialization.ManifestTable"/> (a test enforces it).</summary>
public interface ICallClusterMessage;

/// <summary>Routed to the <c>command</c> shard region; the entity id is the cmd_id.</summary>
public interface ICommandMessage : ICallClusterMessage
{
    string CmdId { get; }
}

/// <summary>Routed to the <c>dialog</c> shard region; the entity id is the SIP Call-ID.</summary>
public interface IDialogMessage : ICallClusterMessage
{
    string CallId { get; }
}
