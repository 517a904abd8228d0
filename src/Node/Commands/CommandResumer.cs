using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Journal;
using CallCluster.Contracts.Sharding;
using CallCluster.Node.Persistence;

namespace CallCluster.Node.Commands;

/// <summary>Gets every command in progress running again when nothing else would touch it: after a full restart, after
/// the loss of a call node, after a journal failure stopped one (docs/survival.md, "Nothing waits to be touched").
/// Commands are not sharding's remembered entities (that store cost every command a journal write on its start path);
/// the journal itself is the index: a command's first event is tagged <see cref="CommandOpenTagger.Tag"/>, its Ended
/// event <see cref="CommandEndedTagger.Tag"/>, both in the same transaction as the events.
///
/// A scan reads both tags above the watermark (their ids only, <see cref="TaggedEventIds"/>) and sends <see cref="ResumeCommand"/> through the
/// command region to every command opened and not ended; each answers <see cref="CommandWoken"/> once running, and is
/// woken again every <see cref="CommandResumerSettings.WakeRetry"/> until it does. The watermark (persisted, one small
/// event) then moves up to just below the oldest command still open, so a scan reads only what happened since then.
/// Scans run at start-up, when a call node is removed, and every <see cref="CommandResumerSettings.ScanInterval"/>.
/// A cluster singleton among call nodes (NodeHost); published on the event stream: <see cref="ScanCompleted"/>.</summary>
public sealed class CommandResumer : ReceivePersistentActor, IWithTimers
{
    public const string PersistenceIdValue = "command-resumer";

    private readonly IActorRef _commandRegion;
    private readonly CommandResumerSettings _settings;
    private readonly Func<TaggedEventIds> _taggedIdsFactory;
    private readonly bool _watchMembers;
    private readonly Func<DateTime> _utcNow;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Commands woken and not yet answered: when each was first woken.</summary>
    private readonly Dictionary<string, DateTime> _waking = new(StringComparer.Ordinal);

    /// <summary>Highest offset seen by each recent scan, with the time it started (<see cref="CommandResumerSettings.Settle"/>).</summary>
    private readonly List<(DateTime StartedAt, long MaxOffset)> _horizons = [];

    private TaggedEventIds? _taggedIds;
    private long _watermark;
    private bool _scanning;
    private bool _scanAgain;

    /// <param name="watchMembers">Scan when a call node is removed (a cluster); false in tests on a local ActorSystem.</param>
    /// <param name="utcNow">The clock of the settle time and of giving up on wakes (tests move it); DateTime.UtcNow by default.</param>
    public CommandResumer(IActorRef commandRegion, CommandResumerSettings settings, bool watchMembers = true,
        Func<DateTime>? utcNow = null)
    {
        _utcNow = utcNow ?? (() => DateTime.UtcNow);
        _commandRegion = commandRegion;
        _settings = settings;
        _watchMembers = watchMembers;
        var system = Context.System;
        _taggedIdsFactory = () => TaggedEventIds.For(system);

        Recover<ResumerWatermarkAdvanced>(e => _watermark = e.Offset);
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<Scan>(_ => StartScan());
        Command<ScanResult>(OnScanResult);
        Command<Status.Failure>(f =>
        {
            _scanning = false;
            _log.Warning(f.Cause, "Command resumer: scan failed; next scan in {0}", _settings.ScanInterval);
            Context.System.EventStream.Publish(new ScanCompleted(_watermark, -1, -1, _watermark));
        });
        Command<CommandWoken>(w => _waking.Remove(w.CmdId));
        Command<RetryWakes>(_ => WakeUnanswered());
        Command<ClusterEvent.MemberRemoved>(removed =>
        {
            if (removed.Member.HasRole(ShardRegions.CallNodeRole))
            {
                _log.Info("Command resumer: call node {0} removed; waking the commands in progress", removed.Member.Address);
                StartScan();
            }
        });
        Command<ClusterEvent.IMemberEvent>(_ => { });
        Command<ClusterEvent.CurrentClusterState>(_ => { });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Debug("Command resumer: old watermark events not deleted: {0}", f.Cause.Message));
    }

    public override string PersistenceId => PersistenceIdValue;

    public override Recovery Recovery => EntityRecovery.NoSnapshots;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef commandRegion, CommandResumerSettings settings, bool watchMembers = true,
        Func<DateTime>? utcNow = null) =>
        Akka.Actor.Props.Create(() => new CommandResumer(commandRegion, settings, watchMembers, utcNow));

    /// <summary>Published on the event stream after each scan: it read from <paramref name="From"/>, found
    /// <paramref name="Open"/> commands open and not ended (all woken; -1: the scan failed), the highest offset it saw,
    /// and the watermark after it.</summary>
    public sealed record ScanCompleted(long From, int Open, long MaxOffset, long Watermark);

    /// <summary>Scan now (tests; the timers and member events send it too).</summary>
    public sealed class Scan
    {
        public static readonly Scan Instance = new();
    }

    protected override void PostStop()
    {
        if (_watchMembers)
        {
            Cluster.Get(Context.System).Unsubscribe(Self);
        }

        base.PostStop();
    }

    private void OnRecovered()
    {
        _log.Info("Command resumer: scanning for commands in progress from journal offset {0}", _watermark);
        if (_watchMembers)
        {
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                typeof(ClusterEvent.MemberRemoved));
        }

        Timers.StartPeriodicTimer("scan", Scan.Instance, _settings.ScanInterval);
        Self.Tell(Scan.Instance);
    }

    private void StartScan()
    {
        if (_scanning)
        {
            _scanAgain = true; // what changed meanwhile may be past the running scan's reads
            return;
        }

        _scanning = true;
        _scanAgain = false;
        _taggedIds ??= _taggedIdsFactory();
        ScanAsync(_taggedIds, _watermark, _utcNow()).PipeTo(Self);
    }

    /// <summary>Both tags above <paramref name="from"/>. Opens first: an Ended written between the two reads is seen
    /// (the command counts as closed), an open written then is left to the next scan.</summary>
    private static async Task<ScanResult> ScanAsync(TaggedEventIds journal, long from, DateTime startedAt)
    {
        var opened = await journal.ReadAsync(CommandOpenTagger.Tag, from).ConfigureAwait(false);
        var ended = await journal.ReadAsync(CommandEndedTagger.Tag, from).ConfigureAwait(false);
        var endedIds = ended.Select(e => e.PersistenceId).ToHashSet(StringComparer.Ordinal);
        var maxOffset = Math.Max(ended.Count == 0 ? from : ended[^1].Offset, opened.Count == 0 ? from : opened[^1].Offset);
        var open = opened.Where(o => !endedIds.Contains(o.PersistenceId)).ToList();
        return new ScanResult(from, startedAt, open, maxOffset);
    }

    private void OnScanResult(ScanResult result)
    {
        _scanning = false;
        var now = _utcNow();
        foreach (var (_, persistenceId) in result.Open)
        {
            if (CommandRetentionSweeper.CmdIdOf(persistenceId) is { } cmdId)
            {
                _waking.TryAdd(cmdId, now);
                _commandRegion.Tell(new ResumeCommand(cmdId), Self);
            }
        }

        if (_waking.Count > 0)
        {
            Timers.StartPeriodicTimer("retry", RetryWakes.Instance, _settings.WakeRetry);
        }

        if (result.Open.Count > 0)
        {
            _log.Info("Command resumer: woke {0} command(s) in progress (journal offsets {1}..{2})", result.Open.Count,
                result.From, result.MaxOffset);
        }

        var next = NextWatermark(result);
        if (next <= _watermark)
        {
            ScanDone(result);
            return;
        }

        Persist(new ResumerWatermarkAdvanced(next), e =>
        {
            _watermark = e.Offset;
            if (LastSequenceNr > 1)
            {
                DeleteMessages(LastSequenceNr - 1); // only the latest watermark matters
            }

            ScanDone(result);
        });
    }

    private void ScanDone(ScanResult result)
    {
        Context.System.EventStream.Publish(new ScanCompleted(result.From, result.Open.Count, result.MaxOffset, _watermark));
        if (_scanAgain)
        {
            StartScan();
        }
    }

    /// <summary>Up to just below the oldest command still open, but never past what was seen at least
    /// <see cref="CommandResumerSettings.Settle"/> ago (a write with a lower offset may still be committing).</summary>
    private long NextWatermark(ScanResult result)
    {
        _horizons.Add((result.StartedAt, result.MaxOffset));
        var settledBefore = _utcNow() - _settings.Settle;
        var settled = _horizons.Where(h => h.StartedAt <= settledBefore).Select(h => h.MaxOffset).DefaultIfEmpty(_watermark).Max();
        _horizons.RemoveAll(h => h.StartedAt <= settledBefore && h.MaxOffset < settled);
        var belowOldestOpen = result.Open.Count == 0 ? long.MaxValue : result.Open.Min(o => o.Offset) - 1;
        return Math.Min(settled, belowOldestOpen);
    }

    private void WakeUnanswered()
    {
        var giveUpBefore = _utcNow() - _settings.WakeGiveUp;
        foreach (var (cmdId, firstWoken) in _waking.ToList())
        {
            if (firstWoken < giveUpBefore)
            {
                _log.Warning("Command resumer: command {0} did not answer for {1}; left to the next scan", cmdId, _settings.WakeGiveUp);
                _waking.Remove(cmdId);
            }
            else
            {
                _commandRegion.Tell(new ResumeCommand(cmdId), Self);
            }
        }

        if (_waking.Count == 0)
        {
            Timers.Cancel("retry");
        }
    }

    private sealed class RetryWakes
    {
        public static readonly RetryWakes Instance = new();
    }

    private sealed record ScanResult(long From, DateTime StartedAt, IReadOnlyList<(long Offset, string PersistenceId)> Open, long MaxOffset);
}
