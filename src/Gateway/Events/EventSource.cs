using Akka.Actor;

namespace CallCluster.Gateway.Events;

/// <summary>Where a gateway reads call events: the process's event feed (ReadEvents / GetEventHead), how often a
/// caught-up subscription reads again, and how many events one read takes.</summary>
public sealed record EventSource(IActorRef Feed, TimeSpan PollInterval, int PageSize);
