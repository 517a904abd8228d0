using System.Runtime.CompilerServices;

// The connection actor's pure collaborators (ReplyWriter, CommandTracks, PendingRequests, EventSubscriptions,
// CommandAdmission) are internal; their unit tests pin the ordering and bookkeeping rules directly.
[assembly: InternalsVisibleTo("CallCluster.Gateway.Tests")]
