namespace CallCluster.Admin;

/// <summary>A palette the CallCluster processes serve, as callctl's --help and completion describe it. The endpoint
/// is the authority on verbs and their arguments (<c>callctl help</c> asks it); this list only gives the built-in
/// palettes a subcommand each, so that <c>--help</c> shows them without a running process.</summary>
/// <param name="Verbs">Each verb with its arguments, e.g. <c>down &lt;address&gt;</c>.</param>
internal sealed record BuiltInPalette(string Name, string Description, IReadOnlyList<string> Verbs)
{
    public IEnumerable<string> VerbNames => Verbs.Select(v => v.Split(' ')[0]);
}

internal static class BuiltInPalettes
{
    public static IReadOnlyList<BuiltInPalette> All { get; } =
    [
        new("cluster", "cluster membership (every process)",
            ["show", "status", "leader", "leave [address]", "down <address>", "down-unreachable", "join <address>", "tail"]),
        new("sharding", "shard regions (every process)",
            ["regions", "region-stats <type>", "cluster-stats <type>", "locate <type> <id>"]),
        new("tokens", "API tokens (every process); 'tokens new' runs here, offline: a fresh token and the SHA-256 to configure",
            ["add <id> <scope[,scope]> [domains=D,D] [expires=30d] [max-in-flight=N] [commands-per-second=N]", "list", "revoke <id>", "new"]),
        new("calls", "SIP dialogs (call nodes)", ["list", "show <callid>"]),
        new("commands", "Call API commands (call nodes)", ["show <cmd_id>"]),
        new("proxy", "the OpenSIPS connector (call nodes)", ["status"]),
        new("webhooks", "webhook endpoints of call events (call nodes)",
            ["list", "add <name> <url> <secret> [event,...]", "remove <name>", "dead <name>"]),
    ];
}
