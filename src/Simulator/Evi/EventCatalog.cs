namespace CallCluster.Simulator.Evi;

/// <summary>The events OpenSIPS 4.0.1 (with dialog and callops) registers, in id order, exactly as events_list reports them (a_subscribe capture).</summary>
public static class EventCatalog
{
    public const string DlgStateChanged = "E_DLG_STATE_CHANGED";
    public const string CallTransfer = "E_CALL_TRANSFER";
    public const string CallHold = "E_CALL_HOLD";

    public static readonly string[] Names =
    [
        "E_CORE_SR_STATUS_CHANGED", "E_CORE_THRESHOLD", "E_CORE_SHM_THRESHOLD", "E_CORE_PKG_THRESHOLD",
        "E_CORE_PROC_AUTO_SCALE", "E_CORE_TCP_DISCONNECT", "E_PROFILING_SCRIPT", "E_PROFILING_PROC",
        DlgStateChanged, CallTransfer, CallHold, "E_CORE_LOG",
    ];

    public static int IdOf(string name) => Array.IndexOf(Names, name);
}
