using System.Text;
using System.Text.RegularExpressions;

namespace CallCluster.Hosting;

/// <summary>Resolves HOCON's optional environment substitutions, <c>${?VAR}</c>, before Akka parses a file.
/// Akka 1.5's built-in HOCON parser does not look substitutions up in the environment (a set variable comes
/// back as an empty value), so the standard override idiom <c>key = default</c> / <c>key = ${?VAR}</c> is done
/// here: a set variable becomes a quoted string; an unset one removes its assignment line, keeping the default.</summary>
public static partial class HoconEnvironment
{
    public static string Apply(string hocon, Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        var result = new StringBuilder(hocon.Length);
        foreach (var line in hocon.Split('\n'))
        {
            var whole = WholeValue().Match(line);
            if (whole.Success && lookup(whole.Groups["name"].Value) is null)
            {
                continue; // unset: the earlier assignment of the key stays in force
            }

            result.Append(Substitution().Replace(line, m => Quote(lookup(m.Groups["name"].Value) ?? ""))).Append('\n');
        }

        return result.ToString();
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r") + "\"";

    [GeneratedRegex(@"\$\{\?(?<name>[A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Substitution();

    [GeneratedRegex(@"^\s*[A-Za-z0-9_.""-]+\s*[=:]\s*\$\{\?(?<name>[A-Za-z_][A-Za-z0-9_]*)\}\s*,?\s*(#.*|//.*)?\r?$")]
    private static partial Regex WholeValue();
}
