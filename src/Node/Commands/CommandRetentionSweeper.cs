using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using CallCluster.Contracts.Commands;
using CallCluster.Node.Persistence;

namespace CallCluster.Node.Commands;

/// <summary>Retention of ended commands (<c>callcluster.commands.retention*</c>, docs/retention.md).
/// <see cref="Retention"/> zero keeps every command forever (no sweeper runs).</summary>
public sealed record CommandRetentionSettings(
    TimeSpan Retention,
    TimeSpan SweepInterval,
    int MaxPurgesPerSweep,
    int PurgesPerSecond,
    TimeSpan PurgeTimeout)
{
    public bool Enabled => Retention > TimeSpan.Zero;

    public static CommandRetentionSettings FromConfig(Config config) => new(
        config.GetTimeSpan("callcluster.commands.retention", TimeSpan.FromHours(24)),
        config.GetTimeSpan("callcluster.commands.retention-sweep-interval", TimeSpan.FromMinutes(10)),
        config.GetInt("callcluster.commands.retention-max-purges-per-sweep", 10_000),
        config.GetInt("callcluster.commands.retention-purges-per-second", 200),
        config.GetTimeSpan("callcluster.commands.retention-purge-timeout", TimeSpan.FromSeconds(10)));
}

/// <summary>Deletes the journal events of commands that ended longer than the retention ago. Every sweep interval it
/// reads the rows tagged <see cref="CommandEndedTagger.Tag"/> (one per ended command, in journal order) after the
/// offset it reached last time, up to the first written within the retention (ids only, <see cref="TaggedEventIds"/>:
/// the read journal sorted a day of ended commands on SQLite for each page), and asks each command past the retention
/// to delete its events
/// (<see cref="PurgeCommand"/>, answered <see cref="CommandPurged"/>), at most <c>MaxPurgesPerSweep</c> per sweep at
/// <c>PurgesPerSecond</c>, a few at a time, so a backlog never floods the journal. The scan stops at the first command
/// still within the retention (the tag's journal order is the order of the Ended writes) and at the first purge that
/// fails, which the next sweep retries. The offset lives in memory only: after a restart (or a hand-over of the
/// singleton) the scan starts over, which costs little because a purge also deletes the command's tag row.
/// A cluster singleton among call nodes (NodeHost).</summary>
public sealed class CommandRetentionSweeper : ReceiveActor, IWithTimers
{
    /// <summary>The persistence id of a command is this prefix and its cmd_id (<see cref="CommandEntity"/>).</summary>
    public const string PersistenceIdPrefix = "command-";

    private const int PurgesInFlight = 4;

    private readonly IActorRef _commandRegion;
    private readonly CommandRetentionSettings _settings;
    private readonly Func<TaggedEventIds> _taggedIdsFactory;
    private readonly Func<DateTime> _utcNow;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private TaggedEventIds? _taggedIds;
    private long _offset;
    private bool _sweeping;

    /// <param name="utcNow">The clock (tests freeze it); DateTime.UtcNow by default.</param>
    public CommandRetentionSweeper(IActorRef commandRegion, CommandRetentionSettings settings, Func<DateTime>? utcNow = null)
    {
        _utcNow = utcNow ?? (() => DateTime.UtcNow);
        _commandRegion = commandRegion;
        _settings = settings;
        var system = Context.System;
        _taggedIdsFactory = () => TaggedEventIds.For(system);

        Receive<Sweep>(_ => StartSweep());
        Receive<SweepDone>(OnSweepDone);
        Receive<Status.Failure>(f =>
        {
            _sweeping = false;
            _log.Warning(f.Cause, "Retention sweep failed; retrying in {0}", _settings.SweepInterval);
            Context.System.EventStream.Publish(new SweepCompleted(-1));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef commandRegion, CommandRetentionSettings settings, Func<DateTime>? utcNow = null) =>
        Akka.Actor.Props.Create(() => new CommandRetentionSweeper(commandRegion, settings, utcNow));

    /// <summary>The cmd_id of a command's persistence id, or null for any other entity's.</summary>
    public static string? CmdIdOf(string persistenceId) =>
        persistenceId.StartsWith(PersistenceIdPrefix, StringComparison.Ordinal) ? persistenceId[PersistenceIdPrefix.Length..] : null;

    protected override void PreStart()
    {
        _log.Info("Journal retention: ended commands are deleted {0} after they end (sweep every {1}, at most {2} per sweep)",
            _settings.Retention, _settings.SweepInterval, _settings.MaxPurgesPerSweep);
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, _settings.SweepInterval);
    }

    private void StartSweep()
    {
        if (_sweeping)
        {
            return;
        }

        _sweeping = true;
        _taggedIds ??= _taggedIdsFactory();
        // Akka.Persistence.Sql stamps each event with DateTime.UtcNow.Ticks when it writes it.
        var cutoff = (_utcNow() - _settings.Retention).Ticks;
        var region = _commandRegion;
        var timeout = _settings.PurgeTimeout;
        var log = _log;
        Source.FromTask(_taggedIds.ReadAsync(CommandEndedTagger.Tag, _offset, cutoff, _settings.MaxPurgesPerSweep))
            .SelectMany(expired => expired)
            .Throttle(_settings.PurgesPerSecond, TimeSpan.FromSeconds(1), _settings.PurgesPerSecond, ThrottleMode.Shaping)
            .SelectAsync(PurgesInFlight, e => Purge(region, e, timeout, log))
            .TakeWhile(purged => purged.Removed)
            .RunAggregate(new SweepDone(_offset, 0), (done, purged) => new SweepDone(purged.Offset, done.Purged + 1),
                Context.Materializer())
            .PipeTo(Self);
    }

    private static async Task<(long Offset, bool Removed)> Purge(IActorRef region, (long Offset, string PersistenceId) ended,
        TimeSpan timeout, ILoggingAdapter log)
    {
        var offset = ended.Offset;
        if (CmdIdOf(ended.PersistenceId) is not { } cmdId)
        {
            return (offset, true);
        }

        try
        {
            var answer = await region.Ask<CommandPurged>(new PurgeCommand(cmdId), timeout).ConfigureAwait(false);
            if (!answer.Removed)
            {
                log.Warning("Retention: command {0} kept its events (not ended, or the delete failed); retried next sweep", cmdId);
            }

            return (offset, answer.Removed);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            log.Warning("Retention: command {0} did not answer the purge within {1}; retried next sweep", cmdId, timeout);
            return (offset, false);
        }
    }

    private void OnSweepDone(SweepDone done)
    {
        _sweeping = false;
        _offset = done.Offset;
        if (done.Purged > 0)
        {
            _log.Info("Retention sweep: deleted the events of {0} ended commands", done.Purged);
        }

        Context.System.EventStream.Publish(new SweepCompleted(done.Purged));
    }

    /// <summary>Published on the event stream after every sweep: how many commands it purged (-1: the sweep failed).</summary>
    public sealed record SweepCompleted(int Purged);

    private sealed class Sweep
    {
        public static readonly Sweep Instance = new();
    }

    private sealed record SweepDone(long Offset, int Purged);
}
