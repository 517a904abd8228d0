using System.Text.RegularExpressions;
using CallCluster.Contracts.Events;

namespace CallCluster.Gateway.Events;

/// <summary>Which call events a subscriber or webhook wants: a Call-ID, a URI pattern matched against either party
/// (<c>*</c> any run of characters, case-insensitive), event names. Every null or empty part matches everything.</summary>
public sealed record EventFilter(string? CallId, string? Party, IReadOnlySet<string>? Names)
{
    public static readonly EventFilter All = new(null, null, null);

    private Regex? _party = Party is null ? null : Compile(Party);

    /// <summary>What the connection's token may see at all (a domain-limited token: calls whose known parties are all
    /// inside its domains, docs/security.md); null: everything.</summary>
    public Func<CallEventRecorded, bool>? Visible { get; init; }

    public bool Matches(CallEventRecorded e) =>
        (Visible is null || Visible(e))
        && (CallId is null || e.CallId == CallId)
        && (Names is null || Names.Count == 0 || Names.Contains(e.Name))
        && (_party is null || (e.From is not null && _party.IsMatch(e.From)) || (e.To is not null && _party.IsMatch(e.To)));

    /// <summary>A glob as an anchored regex; bounded: patterns come from clients.</summary>
    private static Regex Compile(string glob) =>
        new("^" + Regex.Escape(glob).Replace("\\*", ".*", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
}
