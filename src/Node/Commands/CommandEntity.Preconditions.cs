using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.Commands;

/// <summary>What the dialog entity already knows can refuse a command before OpenSIPS is asked.</summary>
public sealed partial class CommandEntity
{
    /// <summary>Transfer and hold need an answered call (callops sends in-dialog requests; §3.2, §3.3). State 0
    /// means this cluster has heard nothing of the call yet (e.g. it started before the node): the proxy decides.</summary>
    private bool RefuseUnlessConfirmed(DialogView dialog)
    {
        switch (dialog.State)
        {
            case DialogStateDeleted:
                EndFailed(ErrorCodes.CallUnknown, $"call {dialog.CallId} has already ended");
                return true;
            case > 0 and < 4:
                EndFailed(ErrorCodes.CallBusy, $"call {dialog.CallId} is not answered yet (dialog state {dialog.State})");
                return true;
            default:
                return false;
        }
    }
}
