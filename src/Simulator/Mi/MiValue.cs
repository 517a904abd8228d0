using System.Collections.Immutable;
using System.Globalization;

namespace CallCluster.Simulator.Mi;

public enum MiValueKind { String, Number, True, False, Null, Array, Object }

/// <summary>One MI parameter value as received. Numbers keep their raw text (OpenSIPS accepts numbers where strings are expected and vice versa).</summary>
public readonly record struct MiValue(MiValueKind Kind, string Text, ImmutableArray<MiValue> Items)
{
    public static MiValue Str(string s) => new(MiValueKind.String, s, default);

    /// <summary>String view: strings and numbers (OpenSIPS accepts a number where a string is expected).</summary>
    public bool TryGetString(out string value)
    {
        value = Text;
        return Kind is MiValueKind.String or MiValueKind.Number;
    }

    /// <summary>Int view: integers and numeric strings.</summary>
    public bool TryGetInt(out int value)
    {
        value = 0;
        if (Kind is not (MiValueKind.Number or MiValueKind.String)) return false;
        return int.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
