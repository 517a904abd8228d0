using System.Globalization;
using System.Text.Json;

namespace CallCluster.NodeBench;

/// <summary>
/// dotnet run -c Release --project bench/NodeBench -- evi|dialog-memory|journal [options]
/// Each scenario prints progress and ends with one JSON line of figures (snake_case). Every loop is bounded in
/// count and in time.
/// </summary>
public static class Program
{
    public const string Usage = """
        usage: NodeBench <scenario> [options]
          evi            EVI datagrams over real UDP -> EviListener -> dialog shard region -> DialogEntity
                         --calls N (10000)  --hold-events N (200000)  --senders N sockets (4)  --window N (2000)
                         --max-seconds S per phase (20)
                         --burst N: instead, N datagrams sent as fast as possible (no window), twice: E_CALL_HOLD on
                         2,000 live dialogs, then E_DLG_STATE_CHANGED 1->2 of new Call-IDs (a call-creation burst);
                         prints kernel drops (/proc/net/udp) and received/routed per second
          dialog-memory  memory per idle tracked dialog
                         --dialogs N (100000)  --batch N (5000)  --max-seconds S total (300)  --no-controls
                         --origin: each dialog also records the command that created it and its parties, as a
                         CallStart's dialog does (RecordCallOrigin)
          journal        persisted events/s: one Persist per event, PersistAll x10, PersistAsync
                         --actors N (500)  --events N per actor per mode (200)  --max-seconds S per mode (30)
                         --provider sqlite|postgres|both (both when PostgreSQL is reachable)
                         PostgreSQL: env CALLCLUSTER_BENCH_PG, else the CI role callcluster_test on 127.0.0.1:5432
                         --hocon 'key = value' on top of the product's layers, for what-if runs
                         (e.g. 'akka.persistence.journal.sql.parallelism = 1')
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        Options o;
        try { o = Options.Parse(args[1..]); }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + "\n" + Usage);
            return 2;
        }

        Log($"NodeBench {args[0]}: {Environment.ProcessorCount} cores, loadavg {LoadAvg()}, server GC {System.Runtime.GCSettings.IsServerGC}");
        Dictionary<string, object?> result = args[0] switch
        {
            "evi" when o.Burst > 0 => await EviBurstBench.RunAsync(o),
            "evi" => await EviBench.RunAsync(o),
            "dialog-memory" => await MemoryBench.RunAsync(o),
            "journal" => await JournalBench.RunAsync(o),
            _ => throw new ArgumentException("unknown scenario " + args[0] + "\n" + Usage),
        };
        result["scenario"] = args[0];
        result["loadavg_end"] = LoadAvg();
        result["cores"] = Environment.ProcessorCount;
        Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return 0;
    }

    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();

    public static void Log(string line) => Console.WriteLine($"[{Clock.Elapsed.TotalSeconds,7:F1}s] {line}");

    /// <summary>The machine may be shared: the load average says how much the figures can be trusted.</summary>
    public static string LoadAvg() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static double Round(double v, int digits = 1) => Math.Round(v, digits);
}

public sealed record Options
{
    public int Calls { get; init; } = 10_000;
    public long HoldEvents { get; init; } = 200_000;
    public int Burst { get; init; }
    public int Senders { get; init; } = 4;
    public int Window { get; init; } = 2000;
    public int Dialogs { get; init; } = 100_000;
    public int Batch { get; init; } = 5000;
    public int Actors { get; init; } = 500;
    public int EventsPerActor { get; init; } = 200;
    public string Provider { get; init; } = "both";
    public bool Controls { get; init; } = true;
    public bool Origin { get; init; }
    public string? Hocon { get; init; }
    public TimeSpan? MaxSeconds { get; init; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException(args[i] + " needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--calls" => o with { Calls = Int() },
                "--hold-events" => o with { HoldEvents = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--senders" => o with { Senders = Int() },
                "--burst" => o with { Burst = Int() },
                "--window" => o with { Window = Int() },
                "--dialogs" => o with { Dialogs = Int() },
                "--batch" => o with { Batch = Int() },
                "--actors" => o with { Actors = Int() },
                "--events" => o with { EventsPerActor = Int() },
                "--provider" => o with { Provider = Next() },
                "--hocon" => o with { Hocon = Next() },
                "--no-controls" => o with { Controls = false },
                "--origin" => o with { Origin = true },
                "--max-seconds" => o with { MaxSeconds = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                _ => throw new FormatException("unknown argument " + args[i]),
            };
        }
        if (o.Calls < 1 || o.Burst < 0 || o.Senders < 1 || o.Window < 1 || o.Dialogs < 1 || o.Batch < 1 || o.Actors < 1 || o.EventsPerActor < 1)
            throw new FormatException("counts must be positive");
        return o;
    }
}
