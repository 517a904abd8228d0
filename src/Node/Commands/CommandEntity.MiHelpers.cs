using System.Text.Json;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>Small readings of MI replies and dialog events shared by the flows.</summary>
public sealed partial class CommandEntity
{
    private static bool IsDeleted(DialogEventNotice notice) =>
        notice.Event is DialogStateChanged { NewState: (int)DialogPhase.Deleted };

    /// <summary>State of the first dialog in a <c>dlg_list {callid}</c> result: {"Dialog":{"state":N,...}}.</summary>
    private static DialogPhase DlgListState(MiSuccess reply) =>
        reply.Value.ValueKind == JsonValueKind.Object
        && reply.Value.TryGetProperty("Dialog", out var dialog)
        && dialog.ValueKind == JsonValueKind.Object
        && dialog.TryGetProperty("state", out var state)
        && state.TryGetInt32(out var value)
            ? (DialogPhase)value
            : DialogPhase.Unknown;

    private static string Describe(MiOutcome outcome) => outcome switch
    {
        MiFailure f => $"{f.Code} {f.Message}",
        MiTimeout t => $"no answer within {t.After.TotalSeconds:0.#}s",
        MiOverloaded => "too many requests in flight",
        _ => outcome.GetType().Name,
    };
}
