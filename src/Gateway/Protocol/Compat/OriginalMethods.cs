using System.Collections.Frozen;
using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Protocol.Compat;

/// <summary>The original Call API's six commands, spelt as it spells them (case-sensitive: <c>CallUnhold</c>), and the
/// native command each one is. The original looks methods up by reflection on its command object, so a client can
/// also reach its internals (<c>NotifyEnd</c>, <c>Run</c>, <c>Wait</c>...); here nothing outside this table exists.
/// Its <c>Echo</c> and <c>Test</c> debugging methods are not served either.</summary>
public static class OriginalMethods
{
    public const string CallUnhold = "CallUnhold";

    private static readonly FrozenDictionary<string, string> ToNative = new Dictionary<string, string>
    {
        [CommandMethods.CallStart] = CommandMethods.CallStart,
        [CommandMethods.CallBlindTransfer] = CommandMethods.CallBlindTransfer,
        [CommandMethods.CallAttendedTransfer] = CommandMethods.CallAttendedTransfer,
        [CommandMethods.CallHold] = CommandMethods.CallHold,
        [CallUnhold] = CommandMethods.CallUnHold,
        [CommandMethods.CallEnd] = CommandMethods.CallEnd,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> FromNative =
        ToNative.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Names => ToNative.Keys;

    /// <summary>The native method for an original name, or null when the original has no such command.</summary>
    public static string? Native(string originalName) => ToNative.GetValueOrDefault(originalName);

    /// <summary>The original spelling of a native command (the notifications' <c>method</c>).</summary>
    public static string Original(string nativeName) => FromNative.GetValueOrDefault(nativeName, nativeName);
}
