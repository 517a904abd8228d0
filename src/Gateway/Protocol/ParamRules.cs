using System.Text.Json;

namespace CallCluster.Gateway.Protocol;

/// <summary>The value kinds a method parameter can have; each knows its rule text for <c>error.data</c>.</summary>
public enum ParamKind
{
    SipUri,
    CallId,
    Leg,
    CmdId,
    NonNegativeInt,
    Limit,
    Cursor,

    /// <summary>An event-log cursor: the decimal offset of the last event seen (docs/call-events.md).</summary>
    EventCursor,

    /// <summary>A URI pattern matched against either party of a call, <c>*</c> for any run of characters.</summary>
    UriPattern,

    /// <summary>A non-empty array of call event names (normalised to a comma-separated list).</summary>
    EventNames,

    /// <summary>A subscription id an EventsSubscribe answered.</summary>
    SubscriptionId,
}

/// <summary>Checks one parameter value; returns the normalised string or the violated rule.</summary>
public static class ParamRules
{
    public const int MaxCallIdLength = 256;
    public const int MaxCmdIdLength = 128;
    public const int MaxCursorLength = 1024;
    public const int MaxLimit = 1000;
    public const int MaxPatternLength = 256;

    public static string RuleOf(ParamKind kind) => kind switch
    {
        ParamKind.SipUri => SipUri.Rule,
        ParamKind.CallId => $"must be a non-empty string of at most {MaxCallIdLength} characters without whitespace",
        ParamKind.Leg => "must be \"caller\" or \"callee\"",
        ParamKind.CmdId => $"must be a string of 1-{MaxCmdIdLength} characters without control characters",
        ParamKind.NonNegativeInt => "must be a non-negative integer",
        ParamKind.Limit => $"must be an integer from 1 to {MaxLimit}",
        ParamKind.Cursor => $"must be a non-empty string of at most {MaxCursorLength} characters",
        ParamKind.EventCursor => "must be the cursor of an event (a string of 1-19 digits)",
        ParamKind.UriPattern => $"must be a string of 1-{MaxPatternLength} characters without whitespace, * for any characters",
        ParamKind.EventNames => "must be a non-empty array of event names: " + string.Join(", ", Contracts.Events.CallEventNames.All.Order(StringComparer.Ordinal)),
        ParamKind.SubscriptionId => "must be a subscription id an EventsSubscribe answered",
        _ => "is malformed",
    };

    /// <summary>Null when <paramref name="value"/> breaks the rule of <paramref name="kind"/>.</summary>
    public static string? Normalise(ParamKind kind, JsonElement value)
    {
        switch (kind)
        {
            case ParamKind.NonNegativeInt:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= 0
                    ? n.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : null;
            case ParamKind.Limit:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var l) && l is >= 1 and <= MaxLimit
                    ? l.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : null;
            case ParamKind.EventNames:
                return EventNames(value);
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var s = value.GetString()!;
        return IsValid(kind, s) ? s : null;
    }

    public static bool IsValid(ParamKind kind, string s) => kind switch
    {
        ParamKind.SipUri => SipUri.IsValid(s),
        ParamKind.CallId => IsCallId(s),
        ParamKind.Leg => s is "caller" or "callee",
        ParamKind.CmdId => IsCmdId(s),
        ParamKind.Cursor => s.Length is > 0 and <= MaxCursorLength,
        ParamKind.EventCursor => s.Length is > 0 and <= 19 && s.All(char.IsAsciiDigit) && long.TryParse(s, out _),
        ParamKind.UriPattern => s.Length is > 0 and <= MaxPatternLength && !s.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch)),
        ParamKind.SubscriptionId => s.Length is > 0 and <= 64 && IsCmdId(s),
        _ => false,
    };

    /// <summary>["call.ringing","call.ended"] → "call.ringing,call.ended"; null for anything else (unknown names too).</summary>
    private static string? EventNames(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > 16)
        {
            return null;
        }

        var names = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !Contracts.Events.CallEventNames.All.Contains(item.GetString()!))
            {
                return null;
            }

            names.Add(item.GetString()!);
        }

        return string.Join(',', names);
    }

    public static bool IsCallId(string s)
    {
        if (s.Length is 0 or > MaxCallIdLength) return false;
        foreach (var ch in s)
        {
            if (char.IsWhiteSpace(ch) || char.IsControl(ch)) return false;
        }

        return true;
    }

    public static bool IsCmdId(string s)
    {
        if (s.Length is 0 or > MaxCmdIdLength) return false;
        foreach (var ch in s)
        {
            if (char.IsControl(ch)) return false;
        }

        return true;
    }
}
