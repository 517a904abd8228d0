using System.Collections.Frozen;
using CallCluster.Contracts.Commands;

namespace CallCluster.Gateway.Protocol;

/// <summary>Every method of the client protocol with its validator, and which of them this build accepts.</summary>
public sealed class MethodRegistry
{
    /// <summary>Alias → canonical name (clients of the original Call API).</summary>
    public static readonly FrozenDictionary<string, string> MethodAliases =
        new Dictionary<string, string> { ["CallUnhold"] = CommandMethods.CallUnHold }.ToFrozenDictionary(StringComparer.Ordinal);

    public static readonly FrozenDictionary<string, MethodSpec> All = BuildAll().ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);

    private readonly FrozenSet<string> _enabled;

    public MethodRegistry(IEnumerable<string> enabledMethods)
    {
        ArgumentNullException.ThrowIfNull(enabledMethods);
        _enabled = enabledMethods.Select(Canonical).ToFrozenSet(StringComparer.Ordinal);
        var unknown = _enabled.Where(m => !All.ContainsKey(m)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown method(s) in enabled-methods: {string.Join(", ", unknown)}", nameof(enabledMethods));
        }
    }

    public IReadOnlySet<string> Enabled => _enabled;

    /// <summary>The enabled method's spec, or the -32601 error to answer.</summary>
    public MethodSpec? Resolve(string method, out RpcError? error)
    {
        var canonical = Canonical(method);
        if (!All.TryGetValue(canonical, out var spec))
        {
            error = RpcError.MethodNotFound($"unknown method {method}");
            return null;
        }

        if (!_enabled.Contains(canonical))
        {
            error = RpcError.MethodNotFound($"{method} is not available on this server");
            return null;
        }

        error = null;
        return spec;
    }

    private static string Canonical(string method) => MethodAliases.GetValueOrDefault(method, method);

    private static IEnumerable<MethodSpec> BuildAll()
    {
        ParamSpec Req(string name, ParamKind kind, params string[] aliases) => new(name, kind, true, aliases);
        ParamSpec Opt(string name, ParamKind kind, params string[] aliases) => new(name, kind, false, aliases);

        yield return new MethodSpec(CommandMethods.CallStart, MethodKind.Command,
            Req("caller", ParamKind.SipUri), Req("callee", ParamKind.SipUri));
        yield return new MethodSpec(CommandMethods.CallBlindTransfer, MethodKind.Command,
            Req("callid", ParamKind.CallId), Req("leg", ParamKind.Leg), Req("destination", ParamKind.SipUri));
        // destination is optional: the attended transfer (OpenSIPS recipe B) can bridge the two calls without it.
        yield return new MethodSpec(CommandMethods.CallAttendedTransfer, MethodKind.Command,
            Req("callid_a", ParamKind.CallId, "callidA"), Req("leg_a", ParamKind.Leg, "legA"),
            Req("callid_b", ParamKind.CallId, "callidB"), Req("leg_b", ParamKind.Leg, "legB"),
            Opt("destination", ParamKind.SipUri));
        yield return new MethodSpec(CommandMethods.CallHold, MethodKind.Command,
            Req("callid", ParamKind.CallId), Opt("leg", ParamKind.Leg));
        yield return new MethodSpec(CommandMethods.CallUnHold, MethodKind.Command,
            Req("callid", ParamKind.CallId), Opt("leg", ParamKind.Leg));
        yield return new MethodSpec(CommandMethods.CallEnd, MethodKind.Command, Req("callid", ParamKind.CallId));
        yield return new MethodSpec(CommandMethods.CommandGet, MethodKind.Get, Req(MethodSpec.CmdIdParam, ParamKind.CmdId));
        yield return new MethodSpec(CommandMethods.CommandSubscribe, MethodKind.Subscribe,
            Req(MethodSpec.CmdIdParam, ParamKind.CmdId), Opt(MethodSpec.AfterSeqParam, ParamKind.NonNegativeInt));
        yield return new MethodSpec(CommandMethods.CallList, MethodKind.Query,
            Opt("limit", ParamKind.Limit), Opt("cursor", ParamKind.Cursor));
        yield return new MethodSpec(CommandMethods.CallGet, MethodKind.Query, Req("callid", ParamKind.CallId));
        // Call events (docs/call-events.md): every filter optional; after = the cursor to resume after.
        yield return new MethodSpec(CommandMethods.EventsSubscribe, MethodKind.EventsSubscribe,
            Opt("callid", ParamKind.CallId), Opt("party", ParamKind.UriPattern), Opt("events", ParamKind.EventNames),
            Opt("after", ParamKind.EventCursor));
        yield return new MethodSpec(CommandMethods.EventsUnsubscribe, MethodKind.EventsUnsubscribe,
            Req("subscription", ParamKind.SubscriptionId));
    }
}
