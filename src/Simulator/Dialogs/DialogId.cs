using System.Globalization;

namespace CallCluster.Simulator.Dialogs;

/// <summary>
/// OpenSIPS dialog identity: h_entry (hash bucket) and h_id. The text form is "hex.hex" with each number written in lowercase hex,
/// least-significant digit first (e.g. 177/698790705 → "1b.133b6a92"); db_id is the decimal of (h_entry&lt;&lt;32)+h_id.
/// </summary>
public readonly record struct DialogId(uint HEntry, uint HId)
{
    public long DbId => ((long)HEntry << 32) + HId;
    public string DbIdText => DbId.ToString(CultureInfo.InvariantCulture);
    public override string ToString() => Reverse(HEntry.ToString("x", CultureInfo.InvariantCulture)) + "." + Reverse(HId.ToString("x", CultureInfo.InvariantCulture));

    public static bool TryParse(string text, out DialogId id)
    {
        id = default;
        var dot = text.IndexOf('.');
        if (dot <= 0 || dot == text.Length - 1 || text.IndexOf('.', dot + 1) >= 0) return false;
        if (!uint.TryParse(Reverse(text[..dot]), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var e)) return false;
        if (!uint.TryParse(Reverse(text[(dot + 1)..]), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h)) return false;
        id = new DialogId(e, h);
        return true;
    }

    private static string Reverse(string s)
    {
        var a = s.ToCharArray();
        Array.Reverse(a);
        return new string(a);
    }
}
