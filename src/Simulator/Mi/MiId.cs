namespace CallCluster.Simulator.Mi;

public enum MiIdKind { Absent, Null, String, Int }

/// <summary>A request id as OpenSIPS echoes it: strings unchanged, null as null, numbers as a C int.</summary>
public readonly record struct MiId(MiIdKind Kind, string? Text, int Number)
{
    public static readonly MiId Absent = new(MiIdKind.Absent, null, 0);
    public static readonly MiId Null = new(MiIdKind.Null, null, 0);
    public static MiId Of(string s) => new(MiIdKind.String, s, 0);
    public static MiId Of(int n) => new(MiIdKind.Int, null, n);

    /// <summary>OpenSIPS stores the id in a C int: fractions are cut, out-of-range values saturate (3000000000 → 2147483647, observed live).</summary>
    public static MiId FromDouble(double d)
    {
        if (double.IsNaN(d)) return Of(0);
        if (d >= int.MaxValue) return Of(int.MaxValue);
        if (d <= int.MinValue) return Of(int.MinValue);
        return Of((int)Math.Truncate(d));
    }

    /// <summary>No id key at all: a JSON-RPC notification, which gets no reply.</summary>
    public bool IsNotification => Kind == MiIdKind.Absent;
}
