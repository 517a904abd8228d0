namespace CallCluster.Gateway.Protocol.Compat;

/// <summary>What the original dialect needs to know about one command to render its events: the command's name
/// and parameters (the original repeats caller, callee and destination in every event), the new call once the
/// transfer started (TransferPending and TransferSuccessful repeat it), and whether CallHolding was sent.</summary>
public sealed record OriginalCommandMemory(
    string NativeMethod,
    IReadOnlyDictionary<string, string> Params,
    string? NewCallId = null,
    string? Destination = null,
    bool Announced = false) : DialectMemory
{
    public string Param(string name) => Params.GetValueOrDefault(name, "");
}
