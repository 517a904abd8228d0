using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Hosting.Metrics;

namespace CallCluster.Node.Persistence;

/// <summary>Whether this node's journal answers (docs/faults-and-bad-input.md, "Proxy and journal faults"). Marked down
/// by any failed journal operation of an entity (<see cref="Failed"/>) and by <see cref="JournalProbe"/> when its
/// read fails or does not answer in time; marked up by the probe's next answered read. <see cref="JournalGate"/>
/// refuses new commands at once while it is down.</summary>
public sealed class JournalHealth : IExtension
{
    private long _downSinceTicks; // Stopwatch ticks; 0 = up
    private string? _lastError;

    public static JournalHealth Get(ActorSystem system) => system.WithExtension<JournalHealth, JournalHealthProvider>();

    public bool IsDown => Interlocked.Read(ref _downSinceTicks) != 0;

    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>How long it has been down (zero when up).</summary>
    public TimeSpan DownFor => Interlocked.Read(ref _downSinceTicks) is var since and not 0
        ? Stopwatch.GetElapsedTime(since)
        : TimeSpan.Zero;

    public void Failed(Exception? cause) => Failed(cause?.GetType().Name + ": " + cause?.Message);

    public void Failed(string why)
    {
        Volatile.Write(ref _lastError, why);
        Interlocked.CompareExchange(ref _downSinceTicks, Stopwatch.GetTimestamp(), 0);
    }

    public void Answered() => Interlocked.Exchange(ref _downSinceTicks, 0);
}

public sealed class JournalHealthProvider : ExtensionIdProvider<JournalHealth>
{
    public override JournalHealth CreateExtension(ExtendedActorSystem system) => new();
}

/// <summary>Reads the highest sequence number of a persistence id nobody writes, every <c>every</c>, straight from the
/// journal plugin: one indexed query, no write. An answer marks the journal up; a failure marks it down at once, and
/// so does a read left unanswered longer than <c>timeout</c> when one is set (zero, the default, = never on slowness
/// alone: a journal busy under a burst must not turn into refused commands).</summary>
public sealed class JournalProbe : ReceiveActor, IWithTimers
{
    /// <summary>The persistence id read: nobody writes it (tests may, to give the read something to replay).</summary>
    public const string ProbeId = "callcluster-journal-probe";
    private readonly IActorRef _journal;
    private readonly TimeSpan _timeout;
    private readonly JournalHealth _health;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _unansweredSince; // Stopwatch ticks of the oldest read not answered yet; 0 = none

    public JournalProbe(IActorRef journal, TimeSpan every, TimeSpan timeout)
    {
        _journal = journal;
        _timeout = timeout;
        _health = JournalHealth.Get(Context.System);
        Receive<Tick>(_ =>
        {
            if (_timeout > TimeSpan.Zero && _unansweredSince != 0 && Stopwatch.GetElapsedTime(_unansweredSince) > _timeout)
            {
                Down($"no answer to a journal read within {_timeout.TotalSeconds:0.#}s");
            }
            else if (_unansweredSince == 0)
            {
                _unansweredSince = Stopwatch.GetTimestamp();
            }

            _journal.Tell(new Akka.Persistence.ReplayMessages(1, 1, 1, ProbeId, Self));
        });
        Receive<Akka.Persistence.RecoverySuccess>(_ =>
        {
            _unansweredSince = 0;
            if (_health.IsDown)
            {
                _log.Info("Journal answers again after {0:0.0}s", _health.DownFor.TotalSeconds);
            }

            _health.Answered();
        });
        Receive<Akka.Persistence.ReplayMessagesFailure>(f =>
        {
            _unansweredSince = 0;
            Down(f.Cause.GetType().Name + ": " + f.Cause.Message);
        });
        ReceiveAny(_ => { }); // ReplayedMessage (only if someone wrote the probe id)
        Timers.StartPeriodicTimer("probe", Tick.Instance, every);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef journal, TimeSpan every, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new JournalProbe(journal, every, timeout));

    private void Down(string why)
    {
        if (!_health.IsDown)
        {
            _log.Warning("Journal unavailable: {0}; new commands are refused -32003 until it answers", why);
            FaultMetrics.JournalFailed("probe", "read");
        }

        _health.Failed(why);
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}

/// <summary>In front of the command region for a gateway on a call node: while <see cref="JournalHealth"/> says the
/// journal is down, a new command is answered -32003 at once (it could not be stored, so it is not started) instead of
/// waiting for the gateway's ask timeout; everything else, and everything while the journal answers, is forwarded.</summary>
public sealed class JournalGate : ReceiveActor
{
    public JournalGate(IActorRef region)
    {
        var health = JournalHealth.Get(Context.System);
        Receive<StartCommand>(_ => health.IsDown, start =>
        {
            FaultMetrics.JournalFailed("command", "refused");
            start.Subscriber.Tell(new CommandRejected(start.CmdId, ErrorCodes.ProxyUnavailable, "Service unavailable",
                "the command journal is unavailable (" + health.LastError + "); the command was not stored or started, retry later"));
        });
        ReceiveAny(m => region.Forward(m));
    }

    public static Props Props(IActorRef region) => Akka.Actor.Props.Create(() => new JournalGate(region));
}
