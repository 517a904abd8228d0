using System.Collections.Immutable;

namespace CallCluster.Simulator.Mi;

/// <summary>OpenSIPS MI recipe matching: the set of parameter names must equal one recipe exactly.</summary>
public static class RecipeMatcher
{
    public static MiResult? Match(MiCommand cmd, MiRequest req, out MiArgs args)
    {
        args = MiArgs.Empty;
        if (req.ParamsKind == MiParamsKind.Positional)
        {
            if (cmd.NamedOnly) return MiResult.InvalidParams("Command only supports named parameters");
            foreach (var recipe in cmd.Recipes)
            {
                if (recipe.Length != req.Positional.Length) continue;
                var b = ImmutableDictionary.CreateBuilder<string, MiValue>(StringComparer.Ordinal);
                for (var i = 0; i < recipe.Length; i++) b[recipe[i]] = req.Positional[i];
                args = new MiArgs(b.ToImmutable());
                return null;
            }
            return MiResult.InvalidParams("Too few or too many parameters");
        }

        var named = req.Named;
        var sameCount = false;
        foreach (var recipe in cmd.Recipes)
        {
            if (recipe.Length != named.Length) continue;
            sameCount = true;
            var all = true;
            foreach (var kv in named)
            {
                if (Array.IndexOf(recipe, kv.Key) < 0) { all = false; break; }
            }
            if (!all) continue;
            if (named.Length > 0)
            {
                var b = ImmutableDictionary.CreateBuilder<string, MiValue>(StringComparer.Ordinal);
                foreach (var kv in named) b[kv.Key] = kv.Value;
                args = new MiArgs(b.ToImmutable());
            }
            return null;
        }
        return MiResult.InvalidParams(sameCount ? "Named parameters do not match" : "Too few or too many parameters");
    }
}
