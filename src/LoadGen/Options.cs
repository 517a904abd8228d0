using System.Globalization;
using System.Net;

namespace CallCluster.LoadGen;

/// <summary>Which client dialect the generator speaks.</summary>
public enum Dialect { CallCluster, Upstream }

/// <summary>The kinds of operation a mix can contain.</summary>
public enum OpKind { Start, End, Hold, Transfer }

/// <summary>Parsed and validated command-line options (<see cref="LoadGenCommandLine"/>). Every run is bounded: by --count,
/// --duration, and always by --max-seconds.</summary>
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

    public static bool IsLoopbackHost(string host)
    {
        string h = host.Trim('[', ']');
        if (string.Equals(h, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip);
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

    /// <summary>The canonical spec, e.g. end=1 (also what --help shows as the default).</summary>
    public override string ToString() => Text;

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
