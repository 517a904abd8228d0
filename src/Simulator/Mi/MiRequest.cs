using System.Collections.Immutable;

namespace CallCluster.Simulator.Mi;

public enum MiParamsKind { None, Named, Positional }

/// <summary>A parsed MI request datagram (not yet validated against a command's recipes).</summary>
public sealed record MiRequest(
    string? JsonRpc,
    bool MethodPresent,
    string? Method,
    MiId Id,
    bool IdBadType,
    MiParamsKind ParamsKind,
    bool ParamsBadType,
    ImmutableArray<KeyValuePair<string, MiValue>> Named,
    ImmutableArray<MiValue> Positional);

/// <summary>Arguments after recipe matching: always by name (positional ones get the recipe's names).</summary>
public sealed class MiArgs
{
    public static readonly MiArgs Empty = new(ImmutableDictionary<string, MiValue>.Empty);
    private readonly ImmutableDictionary<string, MiValue> _values;
    public MiArgs(ImmutableDictionary<string, MiValue> values) => _values = values;

    public int Count => _values.Count;
    public bool Has(string name) => _values.ContainsKey(name);
    public bool TryGet(string name, out MiValue v) => _values.TryGetValue(name, out v);

    /// <summary>String parameter (numbers accepted); null when absent or of another type.</summary>
    public string? Str(string name) => _values.TryGetValue(name, out var v) && v.TryGetString(out var s) ? s : null;
}
