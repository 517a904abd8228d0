using System.Globalization;
using System.Net;

namespace CallCluster.LoadGen;

/// <summary>Which client dialect the generator speaks.</summary>
public enum Dialect { CallCluster, Upstream }

/// <summary>The kinds of operation a mix can contain.</summary>
public enum OpKind { Start, End, Hold, Transfer }

/// <summary>Parsed and validated command-line options. Every run is bounded: by --count, --duration, and always by --max-seconds.</summary>
public sealed record LoadGenOptions
{
    public const int MaxConnections = 1024;
    public const int MaxInFlight = 10_000;
    public const long MaxCount = 10_000_000;
    public const double MaxDurationSeconds = 3600;
    public const int MaxCalls = 1_000_000;

    public Uri Url { get; init; } = new("ws://127.0.0.1:5059/call-api");
    public int Connections { get; init; } = 1;
    public int InFlight { get; init; } = 1;
    public long? Count { get; init; }
    public double? DurationSeconds { get; init; }
    public double WarmupSeconds { get; init; }
    public double GraceSeconds { get; init; } = 5;
    /// <summary>Hard wall-clock cap on issuing (default 600 s); the run then waits at most --grace more.</summary>
    public double MaxSeconds { get; init; } = 600;
    public Mix Mix { get; init; } = Mix.Parse("end=1");
    public Dialect Dialect { get; init; } = Dialect.CallCluster;
    public IPEndPoint? Mi { get; init; }
    public int? Calls { get; init; }
    public int MiConcurrency { get; init; } = 128;
    /// <summary>Seconds to wait after pre-creating calls before timing starts (the server digests their events); null = automatic.</summary>
    public double? SettleSeconds { get; init; }
    public bool JsonOnly { get; init; }
    public bool AllowRemote { get; init; }
    /// <summary>When set, requests carry no cmd_id and the server generates one (reply/cmd_id cross-checks are then weaker).</summary>
    public bool ServerCmdIds { get; init; }
    /// <summary>The server's process id, for CPU milliseconds per command in the summary (Linux /proc).</summary>
    public int? CpuPid { get; init; }

    public const string Usage = """
        CallCluster load generator (JSON-RPC over WebSocket)
          --url URL              target (default ws://127.0.0.1:5059/call-api); must be loopback unless --allow-remote
          --connections N        WebSocket connections (default 1, max 1024)
          --in-flight N          operations in flight per connection (default 1, max 10000)
          --count N              operations to run after warm-up (max 10,000,000)
          --duration SECONDS     issue operations for this long after warm-up (max 3600)
                                 at least one of --count / --duration is required
          --max-seconds SECONDS  hard cap on issuing time, warm-up included (default 600, max 3600)
          --warmup SECONDS       run load first without measuring it (default 0)
          --grace SECONDS        how long to wait for outstanding replies/Ended after issuing stops (default 5)
          --mix SPEC             weights, e.g. end=1 or start=1,hold=2,end=1 (kinds: start, end, hold, transfer)
          --dialect D            callcluster (default) | upstream
          --mi HOST:PORT         simulator MI address: pre-create calls with sim_call before timing starts;
                                 without it, end/hold/transfer use synthetic (unknown) Call-IDs
          --calls N              calls to pre-create (default: what --count needs, or 20000 for --duration)
          --mi-concurrency N     sim_call requests in flight during set-up (default 128)
          --settle SECONDS       pause after pre-creating calls, before timing (default 1 + calls/1000, max 30)
          --server-cmd-ids       do not send cmd_id; let the server generate it
          --allow-remote         allow a non-loopback --url / --mi
          --json-only            print only the final JSON line
          --cpu-pid PID          the server's process id: CPU ms per command in the summary (Linux)
        """;

    /// <summary>Parses args; returns null and an error message when invalid. "--help" gives error = Usage.</summary>
    public static LoadGenOptions? TryParse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        var o = new LoadGenOptions();
        string? miText = null;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string? inlineValue = null;
            int eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inlineValue = a[(eq + 1)..];
                a = a[..eq];
            }

            string Next()
            {
                if (inlineValue is not null) return inlineValue;
                if (i + 1 >= args.Count) throw new FormatException($"{a} needs a value");
                return args[++i];
            }

            try
            {
                switch (a)
                {
                    case "--help" or "-h": error = Usage; return null;
                    case "--url": o = o with { Url = ParseUrl(Next()) }; break;
                    case "--connections": o = o with { Connections = ParseInt(a, Next(), 1, MaxConnections) }; break;
                    case "--in-flight": o = o with { InFlight = ParseInt(a, Next(), 1, MaxInFlight) }; break;
                    case "--count": o = o with { Count = ParseLong(a, Next(), 1, MaxCount) }; break;
                    case "--duration": o = o with { DurationSeconds = ParseSeconds(a, Next(), 0.001, MaxDurationSeconds) }; break;
                    case "--max-seconds": o = o with { MaxSeconds = ParseSeconds(a, Next(), 0.001, MaxDurationSeconds) }; break;
                    case "--warmup": o = o with { WarmupSeconds = ParseSeconds(a, Next(), 0, 600) }; break;
                    case "--grace": o = o with { GraceSeconds = ParseSeconds(a, Next(), 0, 120) }; break;
                    case "--mix": o = o with { Mix = Mix.Parse(Next()) }; break;
                    case "--dialect":
                        string d = Next();
                        o = o with
                        {
                            Dialect = d switch
                            {
                                "callcluster" => Dialect.CallCluster,
                                "upstream" => Dialect.Upstream,
                                _ => throw new FormatException($"--dialect must be callcluster or upstream, not '{d}'"),
                            },
                        };
                        break;
                    case "--mi": miText = Next(); break;
                    case "--calls": o = o with { Calls = ParseInt(a, Next(), 0, MaxCalls) }; break;
                    case "--settle": o = o with { SettleSeconds = ParseSeconds(a, Next(), 0, 600) }; break;
                    case "--mi-concurrency": o = o with { MiConcurrency = ParseInt(a, Next(), 1, 4096) }; break;
                    case "--server-cmd-ids": o = o with { ServerCmdIds = true }; break;
                    case "--allow-remote": o = o with { AllowRemote = true }; break;
                    case "--json-only": o = o with { JsonOnly = true }; break;
                    case "--cpu-pid": o = o with { CpuPid = ParseInt(a, Next(), 1, int.MaxValue) }; break;
                    default: throw new FormatException($"unknown option '{args[i]}'");
                }
                if (inlineValue is not null && a is "--server-cmd-ids" or "--allow-remote" or "--json-only")
                    throw new FormatException($"{a} takes no value");
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }

        if (o.Count is null && o.DurationSeconds is null)
        {
            error = "the run must be bounded: give --count N and/or --duration SECONDS";
            return null;
        }
        if (o.WarmupSeconds + (o.DurationSeconds ?? 0) > o.MaxSeconds && o.DurationSeconds is not null)
            o = o with { MaxSeconds = Math.Min(MaxDurationSeconds + 600, o.WarmupSeconds + o.DurationSeconds.Value) };

        if (!o.AllowRemote && !IsLoopbackHost(o.Url.Host))
        {
            error = $"--url host '{o.Url.Host}' is not a loopback address (127.0.0.0/8, ::1, localhost); pass --allow-remote to override";
            return null;
        }
        if (miText is not null)
        {
            if (!TryParseEndPoint(miText, out var ep))
            {
                error = $"--mi must be HOST:PORT with a numeric IP or localhost, not '{miText}'";
                return null;
            }
            if (!o.AllowRemote && !IPAddress.IsLoopback(ep.Address))
            {
                error = $"--mi address '{miText}' is not loopback; pass --allow-remote to override";
                return null;
            }
            o = o with { Mi = ep };
        }
        return o;
    }

    public static bool IsLoopbackHost(string host)
    {
        string h = host.Trim('[', ']');
        if (string.Equals(h, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip);
    }

    private static bool TryParseEndPoint(string text, out IPEndPoint ep)
    {
        ep = null!;
        int colon = text.LastIndexOf(':');
        if (colon <= 0) return false;
        string host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            return false;
        IPAddress? ip = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : null;
        if (ip is null && !IPAddress.TryParse(host, out ip)) return false;
        ep = new IPEndPoint(ip, port);
        return true;
    }

    private static Uri ParseUrl(string s)
    {
        if (!Uri.TryCreate(s, UriKind.Absolute, out var u) || (u.Scheme != "ws" && u.Scheme != "wss"))
            throw new FormatException($"--url must be an absolute ws:// or wss:// URL, not '{s}'");
        return u;
    }

    private static int ParseInt(string name, string s, int min, int max) => (int)ParseLong(name, s, min, max);

    private static long ParseLong(string name, string s, long min, long max)
    {
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v < min || v > max)
            throw new FormatException($"{name} must be an integer in [{min}, {max}], not '{s}'");
        return v;
    }

    private static double ParseSeconds(string name, string s, double min, double max)
    {
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v) || v < min || v > max)
            throw new FormatException($"{name} must be a number of seconds in [{min}, {max}], not '{s}'");
        return v;
    }
}

/// <summary>A weighted operation mix, expanded into a deterministic round-robin schedule.</summary>
public sealed class Mix
{
    public IReadOnlyDictionary<OpKind, int> Weights { get; }
    /// <summary>One entry per weight unit, interleaved (e.g. start=1,hold=2 → hold,start,hold).</summary>
    public OpKind[] Schedule { get; }
    public string Text { get; }

    private Mix(Dictionary<OpKind, int> weights, string text)
    {
        Weights = weights;
        Text = text;
        var list = new List<OpKind>();
        var remaining = new Dictionary<OpKind, int>(weights);
        // Smooth interleaving: each round takes one of every kind that still has weight, largest weights first.
        while (remaining.Values.Any(v => v > 0))
        {
            foreach (var kind in remaining.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Select(kv => kv.Key).ToList())
            {
                if (remaining[kind] <= 0) continue;
                list.Add(kind);
                remaining[kind]--;
            }
        }
        Schedule = list.ToArray();
    }

    public bool NeedsCalls => Weight(OpKind.End) + Weight(OpKind.Hold) + Weight(OpKind.Transfer) > 0;
    public int Weight(OpKind k) => Weights.TryGetValue(k, out int w) ? w : 0;
    public int TotalWeight => Schedule.Length;

    public static Mix Parse(string spec)
    {
        var weights = new Dictionary<OpKind, int>();
        foreach (string part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            OpKind kind = kv[0] switch
            {
                "start" => OpKind.Start,
                "end" => OpKind.End,
                "hold" => OpKind.Hold,
                "transfer" => OpKind.Transfer,
                _ => throw new FormatException($"--mix: unknown kind '{kv[0]}' (start, end, hold, transfer)"),
            };
            int w = 1;
            if (kv.Length == 2 && (!int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out w) || w > 1000))
                throw new FormatException($"--mix: weight of '{kv[0]}' must be an integer in [0, 1000]");
            if (weights.ContainsKey(kind)) throw new FormatException($"--mix: '{kv[0]}' given twice");
            weights[kind] = w;
        }
        if (weights.Values.Sum() <= 0) throw new FormatException("--mix needs at least one kind with a positive weight");
        foreach (var k in weights.Where(kv => kv.Value == 0).Select(kv => kv.Key).ToList()) weights.Remove(k);
        string text = string.Join(',', weights.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key.ToString().ToLowerInvariant()}={kv.Value}"));
        return new Mix(weights, text);
    }
}
