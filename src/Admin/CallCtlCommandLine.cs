using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CallCluster.Admin;

/// <summary>callctl's command line on System.CommandLine, in the style of the servers' (src/Hosting/Cli) and the load
/// generator's: the global options, a subcommand per built-in palette (<see cref="BuiltInPalettes"/>), <c>help</c>,
/// <c>call</c> (<see cref="CallCommands"/>), the six call-cmd verbs, and <c>&lt;palette&gt; &lt;verb&gt; [args...]</c>
/// for any other palette an endpoint serves. <c>--help</c> and completion (the <c>[suggest]</c> directive) come from
/// the same tree, and the Environment section from <see cref="CallCtlSettings"/>. Global options go before the
/// command, as they did when callctl parsed by hand; words after a palette's verb are the palette's, passed verbatim.</summary>
internal sealed class CallCtlCommandLine
{
    /// <summary>Palette arguments are the endpoint's to read: no <c>@file</c> response-file expansion.</summary>
    private static readonly ParserConfiguration Parser = new() { ResponseFileTokenReplacer = null };

    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;
    private readonly Func<string, string?> _environment;

    private readonly Option<string> _endpoint = new("--endpoint")
    {
        HelpName = "HOST:PORT",
        Description = CallCtlSettings.Describe("--endpoint", "the admin endpoint to ask (palettes, help)"),
    };

    private readonly Option<string> _url = new("--url")
    {
        HelpName = "WS-URL",
        Description = CallCtlSettings.Describe("--url", "the gateway's Call API WebSocket (call commands, call-cmd verbs)"),
    };

    private readonly Option<string> _token = new("--token")
    {
        HelpName = "TOKEN",
        Description = CallCtlSettings.Describe("--token", "API token for the gateway and the admin endpoint"),
    };

    private readonly Option<bool> _json = new("--json")
    {
        Description = "print JSON instead of 'a | b | c' lines: a palette's structured result, a call command's frames",
    };

    private readonly Option<string> _callCmdConfig = new("-config", "--config")
    {
        HelpName = "FILE",
        Description = "call-cmd's YAML: its ws_server host and port name the gateway of the call-cmd verbs; the rest is ignored",
    };

    private readonly Option<bool> _callCmdVersion = new("-v")
    {
        Description = "call-cmd's version flag: accepted and ignored, so that call-cmd scripts run",
    };

    /// <summary>Hidden: in help it would show in every subcommand's usage line; the description names it instead.</summary>
    private readonly Argument<string[]> _otherPalette = new("palette-verb-args") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };

    public CallCtlCommandLine(TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        _stdout = stdout;
        _stderr = stderr;
        _environment = environment;
        Root = new RootCommand(Description())
        {
            _endpoint, _url, _token, _json, _callCmdConfig, _callCmdVersion, _otherPalette,
        };
        Root.SetAction((parsed, ct) =>
        {
            var words = parsed.GetValue(_otherPalette) ?? [];
            return words.Length switch
            {
                0 => CallCtl.UsageError(_stderr, "missing command (a palette such as 'cluster', 'call', or a call-cmd verb)"),
                1 => CallCtl.UsageError(_stderr, $"missing verb after '{words[0]}'"),
                _ => RunPaletteAsync(parsed, words[0], words[1], words[2..], ct),
            };
        });

        foreach (var palette in BuiltInPalettes.All)
        {
            Root.Subcommands.Add(PaletteCommand(palette));
        }

        var help = new Command("help", "lists the palettes and verbs the endpoint serves: verb | description");
        help.SetAction(RunHelpAsync);
        Root.Subcommands.Add(help);
        Root.Subcommands.Add(CallCommands.Create(RunCallAsync));
        foreach (var (method, parameters) in CallCmdVerbs.Methods)
        {
            Root.Subcommands.Add(CallCmdVerbCommand(method, parameters));
        }
    }

    public RootCommand Root { get; }

    /// <summary>The command line parsed, and what is wrong with it (nothing: it can run).</summary>
    public (ParseResult Parsed, IReadOnlyList<string> Errors) Parse(IReadOnlyList<string> args)
    {
        var parsed = Root.Parse(args, Parser);
        var errors = parsed.Errors.Select(e => e.Message.TrimEnd('.')).ToList();
        if (WordsBeforeTheCommand(parsed) is { } mistake)
        {
            errors.Insert(0, mistake);
        }

        return (parsed, errors.Distinct().ToList());
    }

    private static string Description() =>
        """
        callctl, CallCluster's operator CLI.
          Admin palettes (Petabridge.Cmd style) over the admin endpoint every process serves: callctl cluster show.
          Call API commands over a gateway's WebSocket: callctl call end --callid ID.
          The original call-cmd's verbs, in the original dialect: callctl CallEnd callid=ID.
          Any other palette the endpoint serves: callctl <palette> <verb> [args...] ('callctl help' lists them).
        Global options go before the command; a palette's arguments go to the endpoint as they are.

        Output: a header line naming the columns, one 'a | b | c' line per item, then 'Count: N' (--json: JSON).
        call prints one line per notification until Ended; the call-cmd verbs print 'Method:cmd_id: Event[: data]'.
        Exit codes: 0 ok, 1 failed (endpoint unreachable, command failed, Ended failed), 2 usage.


        """ + CallCtlSettings.HelpSection();

    /// <summary>An unknown option, or words before a subcommand, land in the root's palette words: a mistake, not a
    /// palette. (A root validator would not see them: System.CommandLine validates the innermost command.)</summary>
    private string? WordsBeforeTheCommand(ParseResult parsed)
    {
        var words = parsed.GetValue(_otherPalette) ?? [];
        if (words.Length == 0)
        {
            return null;
        }

        if (words[0].StartsWith('-'))
        {
            return $"unknown option '{words[0]}'";
        }

        return parsed.CommandResult.Command != Root ? $"'{words[0]}' before the command '{parsed.CommandResult.Command.Name}'" : null;
    }

    private Command PaletteCommand(BuiltInPalette palette)
    {
        var verb = new Argument<string>("verb") { HelpName = "verb", Description = string.Join(" | ", palette.Verbs) };
        verb.CompletionSources.Add([.. palette.VerbNames]);
        var args = new Argument<string[]>("args")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "the verb's arguments, passed to the endpoint as they are",
        };
        var command = new Command(palette.Name, $"{palette.Description}: {string.Join(", ", palette.VerbNames)}") { verb, args };
        command.SetAction((parsed, ct) => RunPaletteAsync(parsed, palette.Name, parsed.GetValue(verb)!, parsed.GetValue(args) ?? [], ct));
        return command;
    }

    private Command CallCmdVerbCommand(string method, string parameters)
    {
        var words = new Argument<string[]>("key=value")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "the parameters, split at the first '='",
        };
        var command = new Command(method, $"call-cmd's {method} {parameters}: sent to the gateway's original dialect") { words };
        command.SetAction((parsed, ct) => RunCallCmdVerbAsync(parsed, [method, .. parsed.GetValue(words) ?? []], ct));
        return command;
    }

    private string? Token(ParseResult parsed) => parsed.GetValue(_token) ?? _environment(CallCtlSettings.TokenVariable);

    private async Task<int> RunPaletteAsync(ParseResult parsed, string palette, string verb, IReadOnlyList<string> args,
        CancellationToken ct)
    {
        if (RejectGatewayOptions(parsed) is { } mistake)
        {
            return await CallCtl.UsageError(_stderr, mistake);
        }

        if (palette == "tokens" && verb == "new" && args.Count == 0)
        {
            return await NewTokenAsync();
        }

        return AdminClientOf(parsed, out var error) is { } admin
            ? await admin.RunAsync(palette, verb, args, ct)
            : await CallCtl.UsageError(_stderr, error);
    }

    private async Task<int> RunHelpAsync(ParseResult parsed, CancellationToken ct)
    {
        if (RejectGatewayOptions(parsed) is { } mistake)
        {
            return await CallCtl.UsageError(_stderr, mistake);
        }

        return AdminClientOf(parsed, out var error) is { } admin
            ? await admin.HelpAsync(ct)
            : await CallCtl.UsageError(_stderr, error);
    }

    private string? RejectGatewayOptions(ParseResult parsed) =>
        parsed.GetValue(_callCmdConfig) is not null ? "-config is for the call-cmd verbs (CallStart, CallHold, ...)"
        : parsed.GetValue(_url) is not null ? "--url is for call commands; admin palettes use --endpoint"
        : null;

    private AdminClient? AdminClientOf(ParseResult parsed, out string error)
    {
        error = "";
        try
        {
            var endpoint = CallCtl.EndpointUri(parsed.GetValue(_endpoint), _environment);
            return new AdminClient(endpoint, _stdout, _stderr, parsed.GetValue(_json), Token(parsed));
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>Offline: a token for configuration is made where the operator is, and only its hash goes to the servers.</summary>
    private async Task<int> NewTokenAsync()
    {
        var secret = "cct_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        await _stdout.WriteLineAsync(CallCtl.FormatRow(["token", "sha256"]));
        await _stdout.WriteLineAsync(CallCtl.FormatRow([secret, hash]));
        return CallCtl.ExitOk;
    }

    private async Task<int> RunCallAsync(ParseResult parsed, string method, JsonObject parameters, CancellationToken ct)
    {
        if (parsed.GetValue(_callCmdConfig) is not null)
        {
            return await CallCtl.UsageError(_stderr, "-config is for the call-cmd verbs (CallStart, CallHold, ...)");
        }

        if (parsed.GetValue(_endpoint) is not null)
        {
            return await CallCtl.UsageError(_stderr, "call commands talk to a gateway: use --url, not --endpoint");
        }

        string url;
        try
        {
            url = parsed.GetValue(_url) ?? GatewayUrl.Native(_environment);
        }
        catch (FormatException e)
        {
            return await CallCtl.UsageError(_stderr, e.Message);
        }

        return await CallClient.RunAsync(url, method, parameters, parsed.GetValue(_json), _stdout, _stderr, ct, Token(parsed));
    }

    private async Task<int> RunCallCmdVerbAsync(ParseResult parsed, IReadOnlyList<string> args, CancellationToken ct)
    {
        var url = parsed.GetValue(_url);
        try
        {
            if (url is null && parsed.GetValue(_callCmdConfig) is { } file)
            {
                url = CallCmdConfig.GatewayUrl(file);
            }

            url ??= GatewayUrl.Compat(_environment);
        }
        catch (IOException e)
        {
            return await CallCtl.UsageError(_stderr, $"-config {parsed.GetValue(_callCmdConfig)}: {e.Message}");
        }
        catch (FormatException e)
        {
            return await CallCtl.UsageError(_stderr, e.Message);
        }

        return await CallCmdVerbs.RunAsync(url, args, _stdout, _stderr, ct, Token(parsed));
    }
}
