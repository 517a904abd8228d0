namespace CallCluster.Node.Commands;

/// <summary>CallUnHold {callid, leg?}: the mirror of CallHold (see CommandEntity.CallHold.cs) with
/// <c>call_unhold</c>; OpenSIPS re-sends each leg its original SDP and reports E_CALL_HOLD action "unhold".</summary>
public sealed partial class CommandEntity
{
    private void StartUnhold() => StartHold("unhold");
}
