using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json.Nodes;

namespace CallCluster.Admin;

/// <summary><c>callctl call start|hold|unhold|transfer|end</c>: one subcommand per Call API command, with typed
/// options; the parsed options become the JSON-RPC method and params (<c>--callid-a</c> → <c>callid_a</c>) that
/// <see cref="CallClient"/> sends.</summary>
internal static class CallCommands
{
    /// <summary>The call's options: name (without dashes, also the param with '_' for '-'), value name, help text.</summary>
    private static readonly IReadOnlyList<(string Name, string HelpName, string Description)> Options =
    [
        ("caller", "URI", "the calling party's SIP URI"),
        ("callee", "URI", "the called party's SIP URI"),
        ("callid", "ID", "the call's SIP Call-ID"),
        ("leg", "LEG", "caller or callee"),
        ("destination", "URI", "where the leg goes (SIP URI)"),
        ("callid-a", "ID", "attended transfer: the first call's Call-ID"),
        ("leg-a", "LEG", "attended transfer: the leg of the first call that is connected"),
        ("callid-b", "ID", "attended transfer: the second call's Call-ID"),
        ("leg-b", "LEG", "attended transfer: the leg of the second call that is connected"),
        ("cmd-id", "ID", "the command's id (a repeat with the same id is the same command; default: the server's)"),
    ];

    private static readonly string[] BlindTransfer = ["callid", "leg", "destination"];
    private static readonly string[] AttendedTransfer = ["callid-a", "leg-a", "callid-b", "leg-b"];

    /// <param name="run">Sends the method with its params (the global options are the caller's).</param>
    public static Command Create(Func<ParseResult, string, JsonObject, CancellationToken, Task<int>> run)
    {
        var call = new Command("call", "a Call API command, sent to a gateway (JSON-RPC over WebSocket, native dialect); " +
                                       "prints the reply and each notification as a line until Ended (exit 0 when it ended ok)");
        call.Subcommands.Add(Simple("start", "CallStart", "click-to-dial: calls the caller, then connects the callee", ["caller", "callee"], [], run));
        call.Subcommands.Add(Simple("hold", "CallHold", "puts a call (or one leg) on hold", ["callid"], ["leg"], run));
        call.Subcommands.Add(Simple("unhold", "CallUnHold", "takes a call (or one leg) off hold", ["callid"], ["leg"], run));
        call.Subcommands.Add(Transfer(run));
        call.Subcommands.Add(Simple("end", "CallEnd", "ends a call", ["callid"], [], run));
        return call;
    }

    private static Command Simple(string verb, string method, string description, string[] required, string[] optional,
        Func<ParseResult, string, JsonObject, CancellationToken, Task<int>> run)
    {
        var command = new Command(verb, description);
        var options = AddOptions(command, [.. required, .. optional, "cmd-id"], required);
        command.Validators.Add(result => RequireValues(result, options, required));
        command.SetAction((parsed, ct) => run(parsed, method, Params(parsed, options), ct));
        return command;
    }

    /// <summary>Blind with <c>--callid --leg --destination</c>; attended with <c>--callid-a --leg-a --callid-b --leg-b
    /// [--destination]</c>. Which one is the options' choice, so the checks are a validator's.</summary>
    private static Command Transfer(Func<ParseResult, string, JsonObject, CancellationToken, Task<int>> run)
    {
        var command = new Command("transfer",
            "blind: --callid --leg --destination; attended: --callid-a --leg-a --callid-b --leg-b [--destination]");
        var options = AddOptions(command, [.. BlindTransfer, .. AttendedTransfer, "cmd-id"], []);
        command.Validators.Add(result =>
        {
            var attended = IsAttended(result, options);
            var (required, excluded) = attended ? (AttendedTransfer, new[] { "callid", "leg" }) : (BlindTransfer, new[] { "leg-a", "leg-b" });
            foreach (var name in excluded.Where(n => result.GetResult(options[n]) is not null))
            {
                result.AddError($"call transfer: --{name} is not an option of {(attended ? "an attended" : "a blind")} transfer");
            }

            RequireValues(result, options, required);
        });
        command.SetAction((parsed, ct) =>
        {
            var method = IsAttended(parsed.CommandResult, options) ? "CallAttendedTransfer" : "CallBlindTransfer";
            return run(parsed, method, Params(parsed, options), ct);
        });
        return command;
    }

    private static bool IsAttended(CommandResult result, IReadOnlyDictionary<string, Option<string>> options) =>
        result.GetResult(options["callid-a"]) is not null || result.GetResult(options["callid-b"]) is not null;

    private static Dictionary<string, Option<string>> AddOptions(Command command, IEnumerable<string> names, string[] required)
    {
        var options = new Dictionary<string, Option<string>>(StringComparer.Ordinal);
        foreach (var (name, helpName, description) in Options.Where(o => names.Contains(o.Name)))
        {
            var option = new Option<string>("--" + name) { HelpName = helpName, Description = description, Required = required.Contains(name) };
            if (name.StartsWith("leg", StringComparison.Ordinal))
            {
                option.CompletionSources.Add("caller", "callee");
            }

            command.Options.Add(option);
            options[name] = option;
        }

        return options;
    }

    /// <summary>Required options must be given (System.CommandLine checks those marked Required; the transfer's depend
    /// on each other) and not empty (<c>--callid ""</c>). Read from the tokens: a value with its own error (a missing
    /// one) is System.CommandLine's to report.</summary>
    private static void RequireValues(CommandResult result, IReadOnlyDictionary<string, Option<string>> options, string[] required)
    {
        foreach (var name in required)
        {
            var given = result.GetResult(options[name]);
            if ((given is null && !options[name].Required) || given?.Tokens is [.., { Value.Length: 0 }])
            {
                result.AddError($"call {result.Command.Name}: --{name} is required");
            }
        }
    }

    /// <summary>The given options in the table's order, as the method's params.</summary>
    private static JsonObject Params(ParseResult parsed, IReadOnlyDictionary<string, Option<string>> options)
    {
        var parameters = new JsonObject();
        foreach (var (name, option) in options)
        {
            if (parsed.GetValue(option) is { } value)
            {
                parameters[name.Replace('-', '_')] = value;
            }
        }

        return parameters;
    }
}
