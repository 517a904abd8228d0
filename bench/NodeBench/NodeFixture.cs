using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Sharding;
using CallCluster.Hosting;
using CallCluster.Node.Dialogs;
using CallCluster.Node.OpenSips;
using CallCluster.Node.Persistence;
using Microsoft.Data.Sqlite;

namespace CallCluster.NodeBench;

/// <summary>A one-node call-node cluster started the way NodeHost does it (shipped HOCON layers, PersistenceSetup
/// for SQLite in a temp file, ClusterBootstrap), with the <c>dialog</c> shard region of real DialogEntity and,
/// optionally, the real EviListener on 127.0.0.1:0 feeding it. The command region is replaced by a sink actor:
/// the benchmark's dialogs have no attached commands, so nothing is ever sent to it. Call events are on, as they are
/// by default (callcluster.events.enabled), so each dialog keeps its call-event state; what it emits goes to a second
/// sink instead of the journal.</summary>
public sealed class NodeFixture : IAsyncDisposable
{
    private readonly string _dir;

    private NodeFixture(string dir, string dbFile, ActorSystem system, IActorRef dialog, EviListener? evi)
    {
        _dir = dir;
        DbFile = dbFile;
        System = system;
        Dialog = dialog;
        Evi = evi;
    }

    public string DbFile { get; }
    public ActorSystem System { get; }
    public IActorRef Dialog { get; }
    public EviListener? Evi { get; }

    /// <param name="hocon">Extra settings on top of everything else (what-if runs), or null.</param>
    public static async Task<NodeFixture> StartAsync(bool withEvi, string? hocon = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "nodebench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var db = Path.Combine(dir, "journal.db");
        var overrides = ConfigurationFactory.ParseString($$"""
            callcluster.roles = "call-node"
            callcluster.seeds = ""
            callcluster.persistence.provider = sqlite
            callcluster.persistence.sqlite-file = "{{db}}"
            callcluster.evi.port = 0
            akka.loglevel = WARNING
            akka.remote.dot-netty.tcp.port = 0
            """);
        if (!string.IsNullOrWhiteSpace(hocon)) overrides = ConfigurationFactory.ParseString(hocon).WithFallback(overrides);
        var config = overrides.WithFallback(ConfigLoader.Load(["base.conf", "node.conf", "persistence-sqlite.conf"], []));
        config = PersistenceSetup.Configure(config);
        var system = ClusterBootstrap.CreateSystem(config, PersistenceSetup.Setups(config));
        try
        {
            await ClusterBootstrap.JoinAsync(system, TimeSpan.FromSeconds(60));
            var sharding = ClusterSharding.Get(system);
            var settings = ClusterShardingSettings.Create(system).WithRole(ShardRegions.CallNodeRole);
            var commandSink = system.ActorOf(Props.Create(() => new Sink()), "command-sink");
            var dialogSettings = DialogSettings.FromConfig(system.Settings.Config);
            var eventSink = system.ActorOf(Props.Create(() => new Sink()), "call-event-sink");
            var dialogProps = DialogEntity.Props(commandSink, dialogSettings, eventLog: eventSink);
            var dialog = await sharding.StartAsync(ShardRegions.Dialog, _ => dialogProps,
                settings, new DialogMessageExtractor(ShardingSetup.NumberOfShards(system)));
            EviListener? evi = null;
            if (withEvi)
            {
                evi = await EviListener.Start(system, EviSettings.FromConfig(system.Settings.Config), dialog);
            }
            return new NodeFixture(dir, db, system, dialog, evi);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>Rows in the SQLite journal (one per persisted event). WAL: reading does not block the writer.</summary>
    public long JournalRows()
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbFile, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM journal";
        try { return Convert.ToInt64(cmd.ExecuteScalar()); }
        catch (SqliteException) { return 0; } // table not created yet
    }

    /// <summary>Polls the journal until it holds <paramref name="rows"/> rows or the deadline passes; returns the count.</summary>
    public async Task<long> WaitForRowsAsync(long rows, DateTime deadline, Action<long>? progress = null)
    {
        long n = 0;
        var lastReport = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            n = JournalRows();
            if (n >= rows) return n;
            if (progress is not null && DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(1))
            {
                progress(n);
                lastReport = DateTime.UtcNow;
            }
            await Task.Delay(50);
        }
        return n;
    }

    /// <summary>Dialogs are kept in memory (not journaled): asks each dialog for its view, at most 256 asks at a time,
    /// until all answered or the deadline passed; returns how many report <paramref name="state"/>. Events sent
    /// before through the same region reach each entity first (region → shard → entity keeps the order).</summary>
    public async Task<int> CountDialogsInStateAsync(IReadOnlyList<string> callIds, int state, DateTime deadline)
    {
        var inState = 0;
        foreach (var chunk in callIds.Chunk(256))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) break;
            var views = await Task.WhenAll(chunk.Select(id => Dialog.Ask<DialogView>(new GetDialog(id), left)));
            inState += views.Count(v => v.State == state);
        }
        return inState;
    }

    public async ValueTask DisposeAsync()
    {
        if (Evi is not null) await Evi.DisposeAsync();
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(TimeSpan.FromSeconds(30))
            .ContinueWith(_ => { });
        await System.Terminate().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class Sink : UntypedActor
    {
        protected override void OnReceive(object message) { }
    }
}
