using System.Net;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Evi;

/// <summary>One event parameter. Value is a string, an int, or null (a value-less parameter, as in the 4.0.1 captures).</summary>
public readonly record struct EventParam(string Name, object? Value);

/// <summary>Raise an event: sent to every live subscriber of <paramref name="Name"/>.</summary>
public sealed record RaiseEvent(string Name, EventParam[] Params);

/// <summary>A validated event_subscribe (socket already parsed and resolved).</summary>
public sealed record Subscribe(string Event, string SocketText, IPEndPoint Destination, int Expire, MiReplyTarget Reply);

/// <summary>events_list / subscribers_list as received.</summary>
public sealed record EviQuery(string Command, MiArgs Args, MiReplyTarget Reply);
