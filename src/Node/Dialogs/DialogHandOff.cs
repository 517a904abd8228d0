namespace CallCluster.Node.Dialogs;

/// <summary>The message sharding sends a dialog entity to stop it when its shard moves to another node, instead of the
/// default <c>PoisonPill</c>: before stopping, the dialog hands its recent transfer/hold events to its next incarnation
/// (<see cref="CallCluster.Contracts.Dialogs.DialogEventHandedOver"/>), so that a command resuming elsewhere at the same
/// time still gets them. Sent only by the local shard, never serialized.</summary>
public sealed record DialogHandOff
{
    public static readonly DialogHandOff Instance = new();

    private DialogHandOff()
    {
    }
}
