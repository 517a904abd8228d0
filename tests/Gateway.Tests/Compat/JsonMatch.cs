using System.Text.Json;

namespace CallCluster.Gateway.Tests.Compat;

/// <summary>Compares a received frame with a transcript's expected one: same members in the same order (the original's
/// Go encoder fixes the order), same values; "$name" strings bind variables, "$*" matches any string.</summary>
public static class JsonMatch
{
    public static void AssertMatches(JsonElement expected, JsonElement actual, Dictionary<string, string> vars, string at)
    {
        if (expected.ValueKind == JsonValueKind.String && expected.GetString() is { } s && s.StartsWith('$'))
        {
            Assert.True(actual.ValueKind == JsonValueKind.String, $"{at}: expected a string for {s}, got {actual.GetRawText()}");
            if (s == "$*")
            {
                return;
            }

            if (vars.TryGetValue(s, out var bound))
            {
                Assert.True(bound == actual.GetString(), $"{at}: {s} was '{bound}', now '{actual.GetString()}'");
            }
            else
            {
                vars[s] = actual.GetString()!;
            }

            return;
        }

        Assert.True(expected.ValueKind == actual.ValueKind, $"{at}: expected {expected.GetRawText()}, got {actual.GetRawText()}");
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var e = expected.EnumerateObject().ToList();
                var a = actual.EnumerateObject().ToList();
                Assert.True(e.Select(p => p.Name).SequenceEqual(a.Select(p => p.Name)),
                    $"{at}: members [{string.Join(",", e.Select(p => p.Name))}] expected, got [{string.Join(",", a.Select(p => p.Name))}]");
                for (var i = 0; i < e.Count; i++)
                {
                    AssertMatches(e[i].Value, a[i].Value, vars, at + "." + e[i].Name);
                }

                break;
            case JsonValueKind.Array:
                var ea = expected.EnumerateArray().ToList();
                var aa = actual.EnumerateArray().ToList();
                Assert.True(ea.Count == aa.Count, $"{at}: {ea.Count} elements expected, got {aa.Count}");
                for (var i = 0; i < ea.Count; i++)
                {
                    AssertMatches(ea[i], aa[i], vars, $"{at}[{i}]");
                }

                break;
            default:
                Assert.True(expected.GetRawText() == actual.GetRawText(), $"{at}: expected {expected.GetRawText()}, got {actual.GetRawText()}");
                break;
        }
    }
}
