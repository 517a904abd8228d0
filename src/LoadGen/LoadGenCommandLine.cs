using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;

namespace CallCluster.LoadGen;

/// <summary>The load generator's command line on System.CommandLine, in the style of the CallCluster processes'
/// (src/Hosting/Cli): one table of options, each with its help text, default and parser, so <c>--help</c> and shell
/// completion (the <c>[suggest]</c> directive) come from what parsing uses. A mistake (an unknown flag, a value that is
/// not a number or out of range, an unbounded run) is one line per reason on stderr and exit code 2. The load generator
/// reads no environment variables: everything is a flag.</summary>
public sealed class LoadGenCommandLine
{
    public const string Name = "loadgen";

    private static readonly LoadGenOptions Defaults = new();

    private readonly Option<Uri> _url = new("--url")
    {
        Description = "target; its host must be loopback (127.0.0.0/8, ::1, localhost) unless --allow-remote",
        HelpName = "URL",
        DefaultValueFactory = _ => Defaults.Url,
        CustomParser = r => Value(r, ParseUrl),
    };

    private readonly Option<int> _connections = Int("--connections", "WebSocket connections", Defaults.Connections, 1,
        LoadGenOptions.MaxConnections);

    private readonly Option<int> _inFlight = Int("--in-flight", "operations in flight per connection", Defaults.InFlight, 1,
        LoadGenOptions.MaxInFlight);

    private readonly Option<long?> _count = new("--count")
    {
        Description = $"operations to run after warm-up (max {LoadGenOptions.MaxCount:N0})",
        HelpName = "N",
        CustomParser = r => Value<long?>(r, s => ParseLong("--count", s, 1, LoadGenOptions.MaxCount)),
    };

    private readonly Option<double?> _duration = new("--duration")
    {
        Description = $"issue operations for this long after warm-up (max {LoadGenOptions.MaxDurationSeconds})",
        HelpName = "SECONDS",
        CustomParser = r => Value<double?>(r, s => ParseSeconds("--duration", s, 0.001, LoadGenOptions.MaxDurationSeconds)),
    };

    private readonly Option<double> _maxSeconds = Seconds("--max-seconds",
        "hard cap on issuing time, warm-up included; raised to warm-up + duration when that is longer", Defaults.MaxSeconds, 0.001,
        LoadGenOptions.MaxDurationSeconds);

    private readonly Option<double> _warmup = Seconds("--warmup", "run load first without measuring it", Defaults.WarmupSeconds, 0, 600);

    private readonly Option<double> _grace = Seconds("--grace",
        "how long to wait for outstanding replies and Ended after issuing stops", Defaults.GraceSeconds, 0, 120);

    private readonly Option<Mix> _mix = new("--mix")
    {
        Description = "weights, e.g. end=1 or start=1,hold=2,end=1 (kinds: start, end, hold, transfer)",
        HelpName = "SPEC",
        DefaultValueFactory = _ => Defaults.Mix,
        CustomParser = r => Value(r, Mix.Parse),
    };

    private readonly Option<string> _dialect = new Option<string>("--dialect")
    {
        Description = "the client protocol spoken: callcluster's or the original OpenSIPS call-api's",
        DefaultValueFactory = _ => DialectNames[Defaults.Dialect],
    }.AcceptOnlyFromAmong([.. DialectNames.Values]);

    private readonly Option<IPEndPoint?> _mi = new("--mi")
    {
        Description = "simulator MI address: pre-create calls with sim_call before timing starts; without it, end/hold/transfer " +
                      "use synthetic (unknown) Call-IDs",
        HelpName = "HOST:PORT",
        CustomParser = r => Value(r, ParseEndPoint),
    };

    private readonly Option<int?> _calls = new("--calls")
    {
        Description = "calls to pre-create (default: what --count needs, or 20000 for --duration)",
        HelpName = "N",
        CustomParser = r => Value<int?>(r, s => ParseInt("--calls", s, 0, LoadGenOptions.MaxCalls)),
    };

    private readonly Option<int> _miConcurrency = Int("--mi-concurrency", "sim_call requests in flight during set-up",
        Defaults.MiConcurrency, 1, 4096);

    private readonly Option<double?> _settle = new("--settle")
    {
        Description = "pause after pre-creating calls, before timing (default 1 + calls/1000, max 30)",
        HelpName = "SECONDS",
        CustomParser = r => Value<double?>(r, s => ParseSeconds("--settle", s, 0, 600)),
    };

    private readonly Option<bool> _serverCmdIds = new("--server-cmd-ids") { Description = "do not send cmd_id; let the server generate it" };

    private readonly Option<bool> _allowRemote = new("--allow-remote") { Description = "allow a non-loopback --url / --mi" };

    private readonly Option<bool> _jsonOnly = new("--json-only") { Description = "print only the final JSON line" };

    private readonly Option<int?> _cpuPid = new("--cpu-pid")
    {
        Description = "the server's process id: CPU ms per command in the summary (Linux)",
        HelpName = "PID",
        CustomParser = r => Value<int?>(r, s => ParseInt("--cpu-pid", s, 1, int.MaxValue)),
    };

    private static readonly Dictionary<Dialect, string> DialectNames = new()
    {
        [Dialect.CallCluster] = "callcluster",
        [Dialect.Upstream] = "upstream",
    };

    public LoadGenCommandLine()
    {
        Root = new RootCommand(
            "CallCluster load generator (JSON-RPC over WebSocket). Every run is bounded: give --count and/or --duration; " +
            "--max-seconds always applies. Prints one JSON line at the end. Exit codes: 0 run done, 1 no connection, 2 bad options.")
        {
            _url, _connections, _inFlight, _count, _duration, _maxSeconds, _warmup, _grace, _mix, _dialect, _mi, _calls,
            _miConcurrency, _settle, _serverCmdIds, _allowRemote, _jsonOnly, _cpuPid,
        };
        Root.TreatUnmatchedTokensAsErrors = true;
    }

    public RootCommand Root { get; }

    /// <summary>Parses <paramref name="args"/>: prints the reasons and returns 2 when they are wrong; answers
    /// <c>--help</c> or a completion directive (exit 0) without running; otherwise runs <paramref name="run"/>.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr,
        Func<LoadGenOptions, Task<int>> run)
    {
        var parsed = Root.Parse(args);
        if (parsed.Errors.Count == 0 && parsed.Action is not null)
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }).ConfigureAwait(false);
        }

        var options = Read(parsed, out var errors);
        if (options is null)
        {
            foreach (var error in errors)
            {
                await stderr.WriteLineAsync($"{Name}: {error}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync($"{Name}: --help for usage").ConfigureAwait(false);
            return 2;
        }

        return await run(options).ConfigureAwait(false);
    }

    /// <summary>The options of a run; null and the reasons when the command line is wrong or asks for no run (--help).</summary>
    public static LoadGenOptions? TryParse(IReadOnlyList<string> args, out string? error)
    {
        var commandLine = new LoadGenCommandLine();
        var parsed = commandLine.Root.Parse(args);
        if (parsed.Errors.Count == 0 && parsed.Action is not null)
        {
            error = "not a run (--help or a directive): " + string.Join(" ", args);
            return null;
        }

        var options = commandLine.Read(parsed, out var errors);
        error = options is null ? string.Join("\n", errors) : null;
        return options;
    }

    /// <summary>The parsed values, then the checks that involve more than one option.</summary>
    private LoadGenOptions? Read(ParseResult parsed, out IReadOnlyList<string> errors)
    {
        if (parsed.Errors.Count > 0)
        {
            errors = [.. parsed.Errors.Select(e => e.Message)];
            return null;
        }

        var o = new LoadGenOptions
        {
            Url = parsed.GetValue(_url)!,
            Connections = parsed.GetValue(_connections),
            InFlight = parsed.GetValue(_inFlight),
            Count = parsed.GetValue(_count),
            DurationSeconds = parsed.GetValue(_duration),
            MaxSeconds = parsed.GetValue(_maxSeconds),
            WarmupSeconds = parsed.GetValue(_warmup),
            GraceSeconds = parsed.GetValue(_grace),
            Mix = parsed.GetValue(_mix)!,
            Dialect = DialectNames.Single(d => d.Value == parsed.GetValue(_dialect)).Key,
            Mi = parsed.GetValue(_mi),
            Calls = parsed.GetValue(_calls),
            MiConcurrency = parsed.GetValue(_miConcurrency),
            SettleSeconds = parsed.GetValue(_settle),
            ServerCmdIds = parsed.GetValue(_serverCmdIds),
            AllowRemote = parsed.GetValue(_allowRemote),
            JsonOnly = parsed.GetValue(_jsonOnly),
            CpuPid = parsed.GetValue(_cpuPid),
        };

        var problems = new List<string>();
        if (o.Count is null && o.DurationSeconds is null)
        {
            problems.Add("the run must be bounded: give --count N and/or --duration SECONDS");
        }

        if (!o.AllowRemote && !LoadGenOptions.IsLoopbackHost(o.Url.Host))
        {
            problems.Add($"--url host '{o.Url.Host}' is not a loopback address (127.0.0.0/8, ::1, localhost); pass --allow-remote to override");
        }

        if (!o.AllowRemote && o.Mi is { } mi && !IPAddress.IsLoopback(mi.Address))
        {
            problems.Add($"--mi address '{parsed.GetResult(_mi)!.Tokens[^1].Value}' is not loopback; pass --allow-remote to override");
        }

        errors = problems;
        if (problems.Count > 0)
        {
            return null;
        }

        // A --duration longer than the default cap raises the cap rather than cutting the run short.
        return o.DurationSeconds is { } duration && o.WarmupSeconds + duration > o.MaxSeconds
            ? o with { MaxSeconds = Math.Min(LoadGenOptions.MaxDurationSeconds + 600, o.WarmupSeconds + duration) }
            : o;
    }

    private static Option<int> Int(string name, string description, int defaultValue, int min, int max) => new(name)
    {
        Description = $"{description} (max {max})",
        HelpName = "N",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => Value(r, s => ParseInt(name, s, min, max)),
    };

    private static Option<double> Seconds(string name, string description, double defaultValue, double min, double max) => new(name)
    {
        Description = $"{description} (max {max})",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => Value(r, s => ParseSeconds(name, s, min, max)),
    };

    /// <summary>Runs one of the parsers below on the option's value; its FormatException becomes a parse error.</summary>
    private static T Value<T>(ArgumentResult result, Func<string, T> parse)
    {
        try
        {
            return parse(result.Tokens[^1].Value);
        }
        catch (FormatException e)
        {
            result.AddError(e.Message);
            return default!;
        }
    }

    private static IPEndPoint ParseEndPoint(string text)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : "";
        var ip = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : null;
        if (colon <= 0
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535
            || (ip is null && !IPAddress.TryParse(host, out ip)))
        {
            throw new FormatException($"--mi must be HOST:PORT with a numeric IP or localhost, not '{text}'");
        }

        return new IPEndPoint(ip, port);
    }

    private static Uri ParseUrl(string s) =>
        Uri.TryCreate(s, UriKind.Absolute, out var u) && (u.Scheme == "ws" || u.Scheme == "wss")
            ? u
            : throw new FormatException($"--url must be an absolute ws:// or wss:// URL, not '{s}'");

    private static int ParseInt(string name, string s, int min, int max) => (int)ParseLong(name, s, min, max);

    private static long ParseLong(string name, string s, long min, long max) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new FormatException($"{name} must be an integer in [{min}, {max}], not '{s}'");

    private static double ParseSeconds(string name, string s, double min, double max) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !double.IsNaN(v) && v >= min && v <= max
            ? v
            : throw new FormatException($"{name} must be a number of seconds in [{min}, {max}], not '{s}'");
}
