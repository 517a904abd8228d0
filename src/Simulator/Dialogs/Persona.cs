namespace CallCluster.Simulator.Dialogs;

/// <summary>How a simulated phone behaves (Dnd = do-not-disturb, answers 480 like baresip in capture d25). Chosen by user-name prefix (busy…, reject…, …) or set with sim_persona.</summary>
public enum Persona { Normal, Busy, Reject, NoAnswer, NoRefer, Slow, Nobody, Dnd }

public static class Personas
{
    private static readonly (string Prefix, Persona Persona)[] Prefixes =
    [
        ("busy", Persona.Busy), ("reject", Persona.Reject), ("noanswer", Persona.NoAnswer),
        ("norefer", Persona.NoRefer), ("slow", Persona.Slow), ("nobody", Persona.Nobody), ("dnd", Persona.Dnd),
    ];

    public static Persona FromUser(string user)
    {
        foreach (var (p, persona) in Prefixes)
            if (user.StartsWith(p, StringComparison.OrdinalIgnoreCase)) return persona;
        return Persona.Normal;
    }

    public static bool TryParse(string text, out Persona persona) => Enum.TryParse(text, ignoreCase: true, out persona) && Enum.IsDefined(persona);

    public static string Name(Persona p) => p.ToString().ToLowerInvariant();
}
