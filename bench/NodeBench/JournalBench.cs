using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using CallCluster.Contracts.Journal;
using CallCluster.Hosting;
using CallCluster.Node.Persistence;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CallCluster.NodeBench;

/// <summary>Persisted events/s through the product's journal (Akka.Persistence.Sql configured by PersistenceSetup:
/// SQLite in WAL with synchronous=NORMAL, or PostgreSQL), N persistent actors writing concurrently, each event a
/// DialogStateRecorded (MessagePack, as the dialogs write). Modes:
///   persist      one Persist per incoming message, the next message stashed until it is written (the product's pattern);
///   persist-all  PersistAll of 10 events per message;
///   persist-async PersistAsync per message, the actor keeps going without waiting (writes pile up and are batched).</summary>
public static class JournalBench
{
    private const string DefaultPg = "Host=127.0.0.1;Port=5432;Username=callcluster_test;Password=callcluster_test;Database=callcluster_test;Timeout=5";
    private static readonly string[] Modes = ["persist", "persist-all", "persist-async"];

    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        var result = new Dictionary<string, object?> { ["hocon_override"] = o.Hocon, ["actors"] = o.Actors, ["events_per_actor"] = o.EventsPerActor, ["loadavg_start"] = Program.LoadAvg() };
        var providers = new List<string>();
        if (o.Provider is "sqlite" or "both") providers.Add("sqlite");
        string? pg = null;
        if (o.Provider is "postgres" or "both")
        {
            pg = Environment.GetEnvironmentVariable("CALLCLUSTER_BENCH_PG") is { Length: > 0 } env ? env : DefaultPg;
            if (await PgReachableAsync(pg)) providers.Add("postgres");
            else
            {
                Program.Log("PostgreSQL not reachable: skipped");
                result["postgres"] = "unreachable";
            }
        }
        foreach (var provider in providers)
        {
            result[provider] = await RunProviderAsync(provider, pg, o);
        }
        return result;
    }

    private static async Task<Dictionary<string, object?>> RunProviderAsync(string provider, string? pg, Options o)
    {
        var maxMode = o.MaxSeconds ?? TimeSpan.FromSeconds(30);
        var dir = Path.Combine(Path.GetTempPath(), "nodebench-j-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var layer = provider == "sqlite" ? "persistence-sqlite.conf" : "persistence-postgres.conf";
        var quotedPg = "\"" + (pg ?? "").Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var overrides = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = local
            akka.loglevel = WARNING
            callcluster.persistence.sqlite-file = "{{Path.Combine(dir, "journal.db")}}"
            callcluster.persistence.postgres-connection-string = {{quotedPg}}
            """);
        if (!string.IsNullOrWhiteSpace(o.Hocon)) overrides = ConfigurationFactory.ParseString(o.Hocon).WithFallback(overrides);
        var config = PersistenceSetup.Configure(overrides.WithFallback(ConfigLoader.Load(["base.conf", layer], [])));
        var system = ActorSystem.Create("nodebench", Akka.Actor.Setup.ActorSystemSetup.Create(
            [Akka.Actor.BootstrapSetup.Create().WithConfig(config), .. PersistenceSetup.Setups(config)]));
        var journal = system.Settings.Config.GetConfig("akka.persistence.journal.sql");
        var figures = new Dictionary<string, object?>
        {
            ["journal_batch_size"] = journal.GetInt("batch-size"), ["journal_parallelism"] = journal.GetInt("parallelism"),
            ["journal_buffer_size"] = journal.GetInt("buffer-size"),
        };
        var run = Guid.NewGuid().ToString("N")[..6];
        try
        {
            Program.Log($"{provider}: warm-up");
            await RunModeAsync(system, "persist", $"nodebench-{run}-warm", 50, 20, TimeSpan.FromSeconds(60), quiet: true);
            foreach (var mode in Modes)
            {
                var (events, seconds, complete) = await RunModeAsync(system, mode, $"nodebench-{run}-{mode}", o.Actors, o.EventsPerActor, maxMode, quiet: false);
                var rate = events / seconds;
                Program.Log($"{provider} {mode}: {events} events in {seconds:F2} s = {rate:F0} events/s{(complete ? "" : " (stopped at the time bound)")}; loadavg {Program.LoadAvg()}");
                figures[mode.Replace('-', '_') + "_events_per_s"] = Program.Round(rate);
                figures[mode.Replace('-', '_') + "_events"] = events;
                if (!complete) figures[mode.Replace('-', '_') + "_time_bound_hit"] = true;
            }
            figures["persist_all_vs_persist"] = Program.Round((double)figures["persist_all_events_per_s"]! / (double)figures["persist_events_per_s"]!, 2);
            figures["persist_async_vs_persist"] = Program.Round((double)figures["persist_async_events_per_s"]! / (double)figures["persist_events_per_s"]!, 2);
            return figures;
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(15)).ContinueWith(_ => { });
            if (provider == "postgres") await CleanPgAsync(pg!, run);
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<(long Events, double Seconds, bool Complete)> RunModeAsync(ActorSystem system, string mode, string prefix,
        int actors, int eventsPerActor, TimeSpan max, bool quiet)
    {
        var counter = new Counter();
        var refs = Enumerable.Range(0, actors)
            .Select(i => system.ActorOf(Props.Create(() => new Writer($"{prefix}-{i}", mode, eventsPerActor, counter)), $"{prefix}-{i}"))
            .ToArray();
        // Recovered (empty journal) before timing starts: Ready is stashed until recovery completes.
        await Task.WhenAll(refs.Select(r => r.Ask<Writer.Ready>(Writer.Ready.Instance, TimeSpan.FromSeconds(60))));
        var total = (long)actors * eventsPerActor;
        var sw = Stopwatch.StartNew();
        foreach (var r in refs) r.Tell(Writer.Next.Instance);
        var lastLog = Stopwatch.StartNew();
        while (Interlocked.Read(ref counter.Persisted) < total && sw.Elapsed < max)
        {
            await Task.Delay(5);
            if (!quiet && lastLog.Elapsed > TimeSpan.FromSeconds(2))
            {
                Program.Log($"  {mode}: {Interlocked.Read(ref counter.Persisted)}/{total}");
                lastLog.Restart();
            }
        }
        var seconds = sw.Elapsed.TotalSeconds;
        var events = Interlocked.Read(ref counter.Persisted);
        counter.Stop = true;
        foreach (var r in refs) r.Tell(PoisonPill.Instance);
        await Task.Delay(500);
        return (events, seconds, events >= total);
    }

    private static async Task<bool> PgReachableAsync(string cs)
    {
        try
        {
            await using var c = new NpgsqlConnection(cs);
            await c.OpenAsync().WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or ArgumentException or System.Net.Sockets.SocketException)
        {
            Program.Log("PostgreSQL: " + ex.Message);
            return false;
        }
    }

    /// <summary>The CI database is shared with the tests: remove this run's rows only.</summary>
    private static async Task CleanPgAsync(string cs, string run)
    {
        try
        {
            await using var c = new NpgsqlConnection(cs);
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "DELETE FROM journal WHERE persistence_id LIKE @p";
            cmd.Parameters.AddWithValue("p", $"nodebench-{run}-%");
            cmd.CommandTimeout = 60;
            var n = await cmd.ExecuteNonQueryAsync();
            Program.Log($"postgres: removed this run's {n} journal rows");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            Program.Log("postgres clean-up failed: " + ex.Message);
        }
    }

    private sealed class Counter
    {
        public long Persisted;
        public volatile bool Stop;
    }

    private sealed class Writer : ReceivePersistentActor
    {
        public sealed class Next { public static readonly Next Instance = new(); }
        public sealed class Ready { public static readonly Ready Instance = new(); }

        private readonly Counter _counter;
        private readonly int _count;
        private int _issued;

        public Writer(string persistenceId, string mode, int count, Counter counter)
        {
            PersistenceId = persistenceId;
            _count = count;
            _counter = counter;
            Recover<DialogStateRecorded>(_ => { });
            Command<Ready>(_ => Sender.Tell(Ready.Instance));
            switch (mode)
            {
                case "persist":
                    Command<Next>(_ =>
                    {
                        if (_issued >= _count || _counter.Stop) return;
                        _issued++;
                        Persist(Event(_issued), _ =>
                        {
                            Interlocked.Increment(ref _counter.Persisted);
                            Self.Tell(Next.Instance);
                        });
                    });
                    break;
                case "persist-all":
                    Command<Next>(_ =>
                    {
                        if (_issued >= _count || _counter.Stop) return;
                        var n = Math.Min(10, _count - _issued);
                        var batch = Enumerable.Range(_issued + 1, n).Select(Event).ToArray();
                        _issued += n;
                        var last = batch[^1];
                        PersistAll(batch, e =>
                        {
                            Interlocked.Increment(ref _counter.Persisted);
                            if (ReferenceEquals(e, last)) Self.Tell(Next.Instance);
                        });
                    });
                    break;
                default:
                    Command<Next>(_ =>
                    {
                        if (_issued >= _count || _counter.Stop) return;
                        _issued++;
                        PersistAsync(Event(_issued), _ => Interlocked.Increment(ref _counter.Persisted));
                        Self.Tell(Next.Instance);
                    });
                    break;
            }
        }

        public override string PersistenceId { get; }

        private static DialogStateRecorded Event(int i) =>
            new("47." + i.ToString("x8"), "499725756447", "7c4300077a685558", "2c076d53646e9207", i % 5, i % 5 + 1);
    }
}
