namespace CallCluster.Hosting.Security;

/// <summary>What a token may do (docs/security.md). Scopes do not imply each other: a client that starts commands and
/// reads their calls needs both call scopes.</summary>
public static class Scopes
{
    /// <summary>Queries and subscriptions: CallGet, CallList, CommandGet, CommandSubscribe (and REST reads).</summary>
    public const string CallsRead = "calls:read";

    /// <summary>Commands: CallStart, transfers, hold, unhold, CallEnd.</summary>
    public const string CallsControl = "calls:control";

    /// <summary>The admin endpoint's palettes (callctl) when it is not bound to loopback, and token management.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [CallsRead, CallsControl, Admin];

    /// <summary>What the embedded sandbox's anonymous clients and the compat endpoint's address allow-list get by default.</summary>
    public static readonly IReadOnlyList<string> Calls = [CallsRead, CallsControl];

    /// <summary>Checks and normalises a list of scope names; throws naming the first unknown one.</summary>
    public static IReadOnlyList<string> Parse(IEnumerable<string> scopes)
    {
        var list = new List<string>();
        foreach (var raw in scopes)
        {
            var s = raw.Trim().ToLowerInvariant();
            if (s.Length == 0) continue;
            if (!All.Contains(s))
            {
                throw new ArgumentException($"unknown scope '{raw}' (known: {string.Join(", ", All)})");
            }

            if (!list.Contains(s)) list.Add(s);
        }

        return list;
    }
}
