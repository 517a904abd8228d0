using System.Collections.Frozen;

namespace CallCluster.Simulator.Mi;

/// <summary>Which component runs a command.</summary>
public enum MiTarget { Core, Evi, Proxy }

/// <summary>An MI command: canonical (old) name, 4.0 alias, parameter recipes, and whether positional params are refused.</summary>
public sealed record MiCommand(string Name, string? Alias40, MiTarget Target, string[][] Recipes, bool NamedOnly = false);

/// <summary>The commands the simulated OpenSIPS 4.0.1 (dialog, tm, callops, evi) offers, with their exact recipes.</summary>
public static class MiCommands
{
    public const string Version = "version";
    public const string EventsList = "events_list";
    public const string EventSubscribe = "event_subscribe";
    public const string SubscribersList = "subscribers_list";
    public const string DlgList = "dlg_list";
    public const string DlgEnd = "dlg_end_dlg";
    public const string UacDlg = "t_uac_dlg";
    public const string CallTransfer = "call_transfer";
    public const string CallHold = "call_hold";
    public const string CallUnhold = "call_unhold";
    public const string SimCall = "sim_call";
    public const string SimHangup = "sim_hangup";
    public const string SimPersona = "sim_persona";
    public const string SimPhones = "sim_phones";
    public const string SimStats = "sim_stats";

    public static FrozenDictionary<string, MiCommand> Build(bool compat3x)
    {
        string[][] hold = compat3x ? [["callid"]] : [["callid"], ["callid", "leg"], ["callid", "leg", "headers"]];
        var list = new List<MiCommand>
        {
            new(Version, "core:version", MiTarget.Core, [[]]),
            new(EventsList, "evi:list", MiTarget.Evi, [[]]),
            new(EventSubscribe, "evi:subscribe", MiTarget.Evi, [["event", "socket"], ["event", "socket", "expire"]]),
            new(SubscribersList, "evi:subscribers", MiTarget.Evi, [[], ["event"], ["event", "socket"]]),
            new(DlgList, "dialog:list", MiTarget.Proxy, [[], ["callid"], ["callid", "from_tag"], ["index", "counter"]], NamedOnly: true),
            new(DlgEnd, "dialog:end_dlg", MiTarget.Proxy, [["dialog_id"], ["dialog_id", "extra_hdrs"]]),
            new(UacDlg, "tm:uac_dlg", MiTarget.Proxy, UacRecipes(), NamedOnly: true),
            new(CallTransfer, "callops:transfer", MiTarget.Proxy,
            [
                ["callid", "leg", "destination"],
                ["callid", "leg", "transfer_callid", "transfer_leg"],
                ["callid", "leg", "transfer_callid", "transfer_leg", "destination"],
                ["callid", "leg", "transfer_callid", "transfer_fromtag", "transfer_totag", "transfer_destination"],
            ]),
            new(CallHold, "callops:hold", MiTarget.Proxy, hold),
            new(CallUnhold, "callops:unhold", MiTarget.Proxy, hold),
            // Simulator-only commands: drive the simulated phones.
            new(SimCall, null, MiTarget.Proxy, [["from", "to"]]),
            new(SimHangup, null, MiTarget.Proxy, [["callid"]]),
            new(SimPersona, null, MiTarget.Proxy, [["uri", "persona"]]),
            new(SimPhones, null, MiTarget.Proxy, [[]]),
            new(SimStats, null, MiTarget.Proxy, [[]]),
        };
        var map = new Dictionary<string, MiCommand>(StringComparer.Ordinal);
        foreach (var c in list)
        {
            map[c.Name] = c;
            // 3.x has no module:cmd names.
            if (c.Alias40 is not null && !compat3x) map[c.Alias40] = c;
        }
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// 4.0 also resolves a bare local name (the part after ':') when exactly one module has it; otherwise -32001 "Method ambiguous".
    /// Returns the 4.0 names sharing the local name (empty in 3.x mode).
    /// </summary>
    public static string[] ByLocalName(IEnumerable<MiCommand> commands, string name) =>
        name.Contains(':', StringComparison.Ordinal)
            ? []
            : commands.Where(c => c.Alias40 is not null && c.Alias40[(c.Alias40.IndexOf(':') + 1)..] == name)
                .Select(c => c.Alias40!).Distinct().ToArray();

    /// <summary>method, ruri, headers plus any subset of next_hop, socket, body: 8 recipes.</summary>
    private static string[][] UacRecipes()
    {
        string[] optional = ["next_hop", "socket", "body"];
        var recipes = new List<string[]>();
        for (var mask = 0; mask < 8; mask++)
        {
            var r = new List<string> { "method", "ruri", "headers" };
            for (var i = 0; i < 3; i++) if ((mask & (1 << i)) != 0) r.Add(optional[i]);
            recipes.Add([.. r]);
        }
        return [.. recipes];
    }
}
