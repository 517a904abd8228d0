using System.Text.Json;

namespace CallCluster.Simulator.Dialogs;

/// <summary>
/// The simulated phones: every sip:USER@HOST is a phone, created on first use, with a contact port (5071, 5072, … as in the
/// captures) and a persona from its user-name prefix unless sim_persona set one. Owned by the proxy actor (not shared).
/// </summary>
public sealed class PhoneBook
{
    private sealed record Phone(string Aor, string Contact, Persona? Override, string User);
    private readonly Dictionary<string, Phone> _phones = new(StringComparer.OrdinalIgnoreCase);
    private int _nextPort = 5071;

    public int Count => _phones.Count;

    public string ContactOf(SipUri uri) => Get(uri).Contact;

    public Persona PersonaOf(SipUri uri)
    {
        var p = Get(uri);
        return p.Override ?? Personas.FromUser(p.User);
    }

    public void SetPersona(SipUri uri, Persona persona) => _phones[uri.Aor] = Get(uri) with { Override = persona };

    private Phone Get(SipUri uri)
    {
        if (_phones.TryGetValue(uri.Aor, out var p)) return p;
        p = new Phone(uri.Aor, $"sip:{uri.User}@{uri.Host}:{_nextPort++}", null, uri.User);
        _phones[uri.Aor] = p;
        return p;
    }

    public Action<Utf8JsonWriter> Writer()
    {
        var list = _phones.Values.Select(p => (p.Aor, p.Contact, Persona: Personas.Name(p.Override ?? Personas.FromUser(p.User)))).ToArray();
        return w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("Phones");
            foreach (var p in list)
            {
                w.WriteStartObject();
                w.WriteString("uri", p.Aor);
                w.WriteString("contact", p.Contact);
                w.WriteString("persona", p.Persona);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        };
    }
}
