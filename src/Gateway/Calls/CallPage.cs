using CallCluster.Contracts.Dialogs;

namespace CallCluster.Gateway.Calls;

/// <summary>One page of CallList: the calls in Call-ID order, and the cursor of the next page (null: the last page).</summary>
public sealed record CallPage(IReadOnlyList<DialogView> Calls, string? NextCursor);
