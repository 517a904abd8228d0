using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Dialogs;

/// <summary>An MI command for the proxy (dialog, tm, callops, sim_*), after recipe matching.</summary>
public sealed record ProxyCommand(string Command, MiArgs Args, MiReplyTarget Reply);

/// <summary>PlaceCallAsync: the sender gets CallConfirmed or CallFailed (or Status.Failure for bad URIs).</summary>
public sealed record PlaceCall(string FromUri, string ToUri);
