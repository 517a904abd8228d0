using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Sharding;
using CallCluster.Contracts.Dialogs;
using CallCluster.Hosting.Admin;

namespace CallCluster.Node.Admin;

/// <summary><c>calls list</c> (the dialogs whose entities live on this node) and <c>calls show &lt;callid&gt;</c>
/// (any dialog in the cluster, through the dialog region).</summary>
public sealed class CallsPalette(IActorRef dialogRegion, TimeSpan askTimeout) : IAdminPalette
{
    private const int ListLimit = 500;
    private static readonly IReadOnlyList<string> Columns = ["callid", "dialog_id", "state", "caller_held", "callee_held", "commands"];

    public string Name => "calls";

    public string Description => "SIP dialogs the cluster tracks: list (this node), show <callid>";

    public IReadOnlyList<AdminVerb> Verbs { get; } =
    [
        new("list", "", $"dialogs hosted on this node (at most {ListLimit})"),
        new("show", "<callid>", "one dialog: state, hold per leg, commands that acted on it", 1, 1),
    ];

    public async Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct)
    {
        if (command.Verb == "show")
        {
            var view = await dialogRegion.Ask<DialogView>(new GetDialog(command.Args[0]), askTimeout, ct).ConfigureAwait(false);
            return view.State == 0 && view.CmdIds.Count == 0
                ? AdminResult.Failed($"no dialog {command.Args[0]} is known to this cluster")
                : AdminResult.Ok(Columns, [Row(view)]);
        }

        var state = await dialogRegion.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, askTimeout, ct).ConfigureAwait(false);
        var ids = state.Shards.SelectMany(s => s.EntityIds).Order(StringComparer.Ordinal).Take(ListLimit).ToList();
        var views = await Task.WhenAll(ids.Select(id => dialogRegion.Ask<DialogView>(new GetDialog(id), askTimeout, ct))).ConfigureAwait(false);
        return AdminResult.Ok(Columns, views.Select(Row).ToList());
    }

    private static IReadOnlyList<string> Row(DialogView v) =>
    [
        v.CallId, v.DialogId ?? "", v.State.ToString(CultureInfo.InvariantCulture),
        v.CallerHeld ? "yes" : "no", v.CalleeHeld ? "yes" : "no", string.Join(",", v.CmdIds),
    ];
}
