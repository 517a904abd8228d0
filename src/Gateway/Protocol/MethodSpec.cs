using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;

namespace CallCluster.Gateway.Protocol;

public enum MethodKind
{
    /// <summary>Starts a command (a StartCommand to the command region).</summary>
    Command,
    Get,
    Subscribe,
    Query,

    /// <summary>EventsSubscribe: a stream of call events on this connection.</summary>
    EventsSubscribe,
    EventsUnsubscribe,
}

/// <summary>One parameter of a method; <paramref name="Aliases"/> are accepted and normalised to <paramref name="Name"/>.</summary>
public sealed record ParamSpec(string Name, ParamKind Kind, bool Required, params string[] Aliases);

/// <summary>A method's parameter list and how a valid request becomes an <see cref="RpcItem"/>.</summary>
public sealed class MethodSpec
{
    public const string CmdIdParam = "cmd_id";
    public const string AfterSeqParam = "after_seq";

    private readonly FrozenDictionary<string, ParamSpec> _byName;

    public MethodSpec(string name, MethodKind kind, params ParamSpec[] parameters)
    {
        Name = name;
        Kind = kind;
        // Every command takes the optional idempotency key.
        Params = kind == MethodKind.Command ? [.. parameters, new ParamSpec(CmdIdParam, ParamKind.CmdId, false)] : parameters;
        _byName = Params
            .SelectMany(p => p.Aliases.Prepend(p.Name).Select(n => KeyValuePair.Create(n, p)))
            .ToFrozenDictionary(StringComparer.Ordinal);
    }

    public string Name { get; }
    public MethodKind Kind { get; }
    public IReadOnlyList<ParamSpec> Params { get; }

    /// <summary>Validates <paramref name="parameters"/> (an object, or null when absent) and builds the request.</summary>
    public RpcItem Validate(string? idJson, JsonElement? parameters)
    {
        var values = new Dictionary<string, string>(Params.Count, StringComparer.Ordinal);
        if (parameters is { } obj)
        {
            foreach (var prop in obj.EnumerateObject())
            {
                if (!_byName.TryGetValue(prop.Name, out var spec))
                {
                    return Invalid(idJson, $"{prop.Name}: unknown parameter of {Name}");
                }

                if (values.ContainsKey(spec.Name))
                {
                    return Invalid(idJson, $"{prop.Name}: {spec.Name} is given more than once");
                }

                var normalised = ParamRules.Normalise(spec.Kind, prop.Value);
                if (normalised is null)
                {
                    return Invalid(idJson, $"{prop.Name}: {ParamRules.RuleOf(spec.Kind)}");
                }

                values[spec.Name] = normalised;
            }
        }

        foreach (var spec in Params)
        {
            if (spec.Required && !values.ContainsKey(spec.Name))
            {
                return Invalid(idJson, $"{spec.Name}: required; {ParamRules.RuleOf(spec.Kind)}");
            }
        }

        return Kind switch
        {
            MethodKind.Command => values.Remove(CmdIdParam, out var cmdId)
                ? new RpcCommand(idJson, Name, cmdId, values)
                : new RpcCommand(idJson, Name, Guid.NewGuid().ToString("D"), values) { CmdIdGenerated = true },
            MethodKind.Get => new RpcGet(idJson, values[CmdIdParam]),
            MethodKind.Subscribe => new RpcSubscribe(idJson, values[CmdIdParam],
                values.TryGetValue(AfterSeqParam, out var after) ? int.Parse(after, CultureInfo.InvariantCulture) : 0),
            MethodKind.EventsSubscribe => new RpcEventsSubscribe(idJson,
                new Events.EventFilter(values.GetValueOrDefault("callid"), values.GetValueOrDefault("party"),
                    values.TryGetValue("events", out var names) ? names.Split(',').ToHashSet(StringComparer.Ordinal) : null),
                values.TryGetValue("after", out var cursor) ? long.Parse(cursor, CultureInfo.InvariantCulture) : null),
            MethodKind.EventsUnsubscribe => new RpcEventsUnsubscribe(idJson, values["subscription"]),
            _ => new RpcQuery(idJson, Name, values),
        };
    }

    private static RpcInvalid Invalid(string? idJson, string data) => new(idJson, RpcError.InvalidParams(data));
}
