using System.Text.Json.Serialization;

namespace CallCluster.Gateway.Rest;

// What the read-only views GET /v1/cluster and GET /v1/webhooks answer (written snake_case like every REST answer,
// RestApi); the commands and queries of the Call API answer with RestResources.

/// <summary>GET /v1/cluster: <paramref name="Self"/> is the member that answered (this gateway's process);
/// <paramref name="Leader"/> null while the cluster has none.</summary>
public sealed record ClusterResource(string Self, string? Leader, IReadOnlyList<ClusterMemberResource> Members,
    IReadOnlyList<ShardTypeResource> Shards);

/// <summary>One member: <paramref name="Status"/> as Akka names it (Joining, Up, Leaving, Exiting, Down, ...).</summary>
public sealed record ClusterMemberResource(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable,
    string AppVersion, bool Self);

/// <summary>The regions of one shard type (command, dialog); <paramref name="Error"/> says why none are listed.</summary>
public sealed record ShardTypeResource(
    string Type,
    IReadOnlyList<ShardRegionResource> Regions,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary>One member's region: its shards and their entities; <paramref name="FailedShards"/> did not answer.</summary>
public sealed record ShardRegionResource(string Address, int Shards, int Entities, int FailedShards);

/// <summary>GET /v1/webhooks.</summary>
public sealed record WebhookListResource(IReadOnlyList<WebhookResource> Endpoints);

/// <summary>One webhook endpoint's delivery status. <paramref name="Target"/> is only the URL's scheme, host and port:
/// a webhook URL's path or query often carries the receiver's own secret, and this route is open to
/// <c>calls:read</c>, not only to operators. <paramref name="Offset"/> is the call-event position delivered up to
/// (-1 before the first commit), <paramref name="Events"/> empty means every event.</summary>
public sealed record WebhookResource(string Name, string Target, IReadOnlyList<string> Events, string Source, long Offset,
    int InFlight, int Pending, int DeadLetters);
