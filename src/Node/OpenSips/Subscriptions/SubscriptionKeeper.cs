using Akka.Actor;
using Akka.Event;
using CallCluster.Hosting.Metrics;

namespace CallCluster.Node.OpenSips;

/// <summary>Keeps the EVI subscriptions alive through the <see cref="MiPool"/>: subscribes every event with an
/// explicit expire, refreshes with the identical socket string well before expiry, retries soon after an MI
/// failure or timeout, and unsubscribes (expire 0) on <see cref="Unsubscribe"/>.
/// States: <see cref="Active"/> → <see cref="Unsubscribing"/> → <see cref="Stopped"/>.</summary>
public sealed class SubscriptionKeeper : ReceiveActor, IWithTimers
{
    private const string RefreshTimer = "refresh";
    private const string UnsubscribeTimer = "unsubscribe-deadline";
    private const string CheckTimer = "check";

    private readonly IActorRef _miPool;
    private readonly string _socket;
    private readonly SubscriptionSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IReadOnlyList<KeyValuePair<string, object>>> _subscribeParams = new();
    private readonly Dictionary<string, EventState> _events = new();
    private long _attempts;

    // Unsubscribing only.
    private readonly HashSet<string> _awaitingUnsubscribe = new();
    private readonly List<string> _unsubscribeFailed = new();
    private readonly List<IActorRef> _unsubscribeRequesters = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef miPool, string socket, SubscriptionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(miPool);
        ArgumentException.ThrowIfNullOrWhiteSpace(socket);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return Akka.Actor.Props.Create(() => new SubscriptionKeeper(miPool, socket, settings));
    }

    public SubscriptionKeeper(IActorRef miPool, string socket, SubscriptionSettings settings)
    {
        _miPool = miPool;
        _socket = socket;
        _settings = settings;
        foreach (var evt in settings.Events)
        {
            // Built once: every refresh must carry the very same socket string (OpenSIPS matches on its text).
            _subscribeParams[evt] = Params(evt, settings.ExpireSeconds);
            _events[evt] = new EventState(false, 0, null, null, null, null);
        }
        Active();
    }

    protected override void PreStart()
    {
        foreach (var evt in _settings.Events) Subscribe(evt);
        Timers.StartPeriodicTimer(RefreshTimer, Refresh.Instance, _settings.RefreshEvery);
        if (_settings.CheckEvery > TimeSpan.Zero) Timers.StartPeriodicTimer(CheckTimer, Check.Instance, _settings.CheckEvery);
    }

    private void Active()
    {
        Receive<Refresh>(_ =>
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var evt in _settings.Events)
            {
                var state = _events[evt];
                // Skip one still in flight, unless it has been stuck longer than a refresh period.
                if (state.InFlight && now - state.InFlightSince < _settings.RefreshEvery) continue;
                Subscribe(evt);
            }
        });
        Receive<Retry>(r =>
        {
            if (!_events[r.Event].InFlight) Subscribe(r.Event);
        });
        Receive<MiOutcome>(o => o.Tag is SubscribeTag, OnSubscribeOutcome);
        Receive<Check>(_ =>
            // One attempt per check, answered or not before the next one: a proxy that is down costs nothing more.
            _miPool.Tell(new MiCall("subscribers_list", [], new CheckTag(DateTimeOffset.UtcNow), _settings.CheckEvery) { Retries = 0 }, Self));
        Receive<MiSuccess>(o => o.Tag is CheckTag, OnCheck);
        Receive<MiOutcome>(_ => { }); // stale answers of an earlier unsubscribe, unanswered checks
        Receive<GetSubscriptionStatus>(_ => Sender.Tell(Status(false)));
        Receive<Unsubscribe>(_ => StartUnsubscribe());
    }

    private void Unsubscribing()
    {
        Receive<MiOutcome>(o => o.Tag is UnsubscribeTag, OnUnsubscribeOutcome);
        Receive<MiOutcome>(_ => { }); // late subscribe answers: we are leaving
        Receive<UnsubscribeDeadline>(_ =>
        {
            foreach (var evt in _awaitingUnsubscribe)
            {
                _unsubscribeFailed.Add(evt);
                _events[evt] = _events[evt] with { LastError = "unsubscribe not answered" };
            }
            _awaitingUnsubscribe.Clear();
            FinishUnsubscribe();
        });
        Receive<Unsubscribe>(_ => _unsubscribeRequesters.Add(Sender));
        Receive<GetSubscriptionStatus>(_ => Sender.Tell(Status(true)));
        Receive<Refresh>(_ => { });
        Receive<Retry>(_ => { });
        Receive<Check>(_ => { });
    }

    private void Stopped()
    {
        Receive<Unsubscribe>(_ => Sender.Tell(new Unsubscribed(_unsubscribeFailed.ToArray())));
        Receive<GetSubscriptionStatus>(_ => Sender.Tell(Status(false)));
        Receive<MiOutcome>(_ => { });
        Receive<Refresh>(_ => { });
        Receive<Retry>(_ => { });
        Receive<UnsubscribeDeadline>(_ => { });
        Receive<Check>(_ => { });
    }

    /// <summary>subscribers_list answered: an event subscribed before the check was sent but not listed with this
    /// socket was forgotten by the proxy (it restarted): subscribe it again now.</summary>
    private void OnCheck(MiSuccess reply)
    {
        var sentAt = ((CheckTag)reply.Tag!).SentAt;
        var listed = ListedEvents(reply.Value, _socket);
        var now = DateTimeOffset.UtcNow;
        foreach (var evt in _settings.Events)
        {
            var state = _events[evt];
            if (listed.Contains(evt) || state.LastSuccess is not { } last || last > sentAt) continue;
            if (state.InFlight && now - state.InFlightSince < _settings.CheckEvery) continue;
            _log.Warning("The SIP proxy no longer lists {0} for {1} (restarted?): subscribing again", evt, _socket);
            FaultMetrics.EviResubscribed(evt);
            Subscribe(evt);
        }
    }

    /// <summary>Events whose subscribers include <paramref name="socket"/> in a subscribers_list result
    /// <c>{"Events":[{"name":..,"Subscribers":[{"socket":..},..]},..]}</c>.</summary>
    internal static HashSet<string> ListedEvents(System.Text.Json.JsonElement result, string socket)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (result.ValueKind != System.Text.Json.JsonValueKind.Object
            || !result.TryGetProperty("Events", out var events)
            || events.ValueKind != System.Text.Json.JsonValueKind.Array)
        {
            return names;
        }

        foreach (var evt in events.EnumerateArray())
        {
            if (evt.ValueKind != System.Text.Json.JsonValueKind.Object
                || !evt.TryGetProperty("name", out var name) || name.ValueKind != System.Text.Json.JsonValueKind.String
                || !evt.TryGetProperty("Subscribers", out var subscribers) || subscribers.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                continue;
            }

            foreach (var s in subscribers.EnumerateArray())
            {
                if (s.ValueKind == System.Text.Json.JsonValueKind.Object && s.TryGetProperty("socket", out var text)
                    && text.ValueKind == System.Text.Json.JsonValueKind.String && text.GetString() == socket)
                {
                    names.Add(name.GetString()!);
                }
            }
        }

        return names;
    }

    private void Subscribe(string evt)
    {
        var attempt = ++_attempts;
        var now = DateTimeOffset.UtcNow;
        _events[evt] = _events[evt] with { InFlight = true, Attempt = attempt, InFlightSince = now };
        _miPool.Tell(new MiCall("event_subscribe", _subscribeParams[evt], new SubscribeTag(evt, attempt, now)), Self);
    }

    private void OnSubscribeOutcome(MiOutcome outcome)
    {
        var tag = (SubscribeTag)outcome.Tag!;
        var state = _events[tag.Event];
        var current = tag.Attempt == state.Attempt;
        if (outcome is MiSuccess)
        {
            // Counted from when we sent it: OpenSIPS starts its clock no earlier than that.
            var expires = tag.SentAt + _settings.Expire;
            if (state.LastSuccess is null) _log.Info("Subscribed {0} for {1}", tag.Event, _socket);
            _events[tag.Event] = state with
            {
                InFlight = state.InFlight && !current,
                LastSuccess = Max(state.LastSuccess, DateTimeOffset.UtcNow),
                ExpiresAt = Max(state.ExpiresAt, expires),
                LastError = current ? null : state.LastError,
            };
            return;
        }
        var error = Describe(outcome);
        _log.Warning("Subscribing {0} for {1} failed: {2}; retrying in {3}", tag.Event, _socket, error, _settings.RetryAfter);
        _events[tag.Event] = state with { InFlight = state.InFlight && !current, LastError = error };
        if (current) Timers.StartSingleTimer("retry-" + tag.Event, new Retry(tag.Event), _settings.RetryAfter);
    }

    private void StartUnsubscribe()
    {
        Timers.CancelAll();
        _unsubscribeRequesters.Add(Sender);
        foreach (var evt in _settings.Events)
        {
            _awaitingUnsubscribe.Add(evt);
            _miPool.Tell(new MiCall("event_subscribe", Params(evt, 0), new UnsubscribeTag(evt)), Self);
        }
        Timers.StartSingleTimer(UnsubscribeTimer, UnsubscribeDeadline.Instance, _settings.UnsubscribeTimeout);
        Become(Unsubscribing);
    }

    private void OnUnsubscribeOutcome(MiOutcome outcome)
    {
        var evt = ((UnsubscribeTag)outcome.Tag!).Event;
        if (!_awaitingUnsubscribe.Remove(evt)) return;
        if (outcome is MiSuccess)
        {
            _events[evt] = _events[evt] with { InFlight = false, ExpiresAt = null };
        }
        else
        {
            _unsubscribeFailed.Add(evt);
            _events[evt] = _events[evt] with { InFlight = false, LastError = "unsubscribe: " + Describe(outcome) };
        }
        if (_awaitingUnsubscribe.Count == 0) FinishUnsubscribe();
    }

    private void FinishUnsubscribe()
    {
        Timers.CancelAll();
        var reply = new Unsubscribed(_unsubscribeFailed.ToArray());
        foreach (var requester in _unsubscribeRequesters) requester.Tell(reply);
        _unsubscribeRequesters.Clear();
        _log.Info("Unsubscribed {0} ({1} unconfirmed)", _socket, reply.Failed.Count);
        Become(Stopped);
    }

    private SubscriptionStatus Status(bool unsubscribing)
    {
        var now = DateTimeOffset.UtcNow;
        var events = new EventSubscriptionStatus[_settings.Events.Count];
        for (var i = 0; i < events.Length; i++)
        {
            var evt = _settings.Events[i];
            var s = _events[evt];
            events[i] = new EventSubscriptionStatus(evt, s.ExpiresAt is { } at && at > now, s.LastSuccess, s.ExpiresAt, s.LastError);
        }
        return new SubscriptionStatus(_socket, unsubscribing, events);
    }

    private KeyValuePair<string, object>[] Params(string evt, int expire) =>
    [
        new("event", evt),
        new("socket", _socket),
        new("expire", expire),
    ];

    private static string Describe(MiOutcome outcome) => outcome switch
    {
        MiFailure f => $"{f.Code} {f.Message}" + (f.Data is null ? "" : $" ({f.Data})"),
        MiTimeout t => $"MI timeout after {t.After}",
        MiOverloaded => "MI overloaded",
        _ => outcome.GetType().Name,
    };

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    private sealed record EventState(
        bool InFlight, long Attempt, DateTimeOffset? InFlightSince, DateTimeOffset? LastSuccess, DateTimeOffset? ExpiresAt, string? LastError);

    private sealed record SubscribeTag(string Event, long Attempt, DateTimeOffset SentAt);

    private sealed record UnsubscribeTag(string Event);

    private sealed record CheckTag(DateTimeOffset SentAt);

    private sealed record Check
    {
        public static readonly Check Instance = new();
    }

    private sealed record Retry(string Event);

    private sealed record Refresh
    {
        public static readonly Refresh Instance = new();
    }

    private sealed record UnsubscribeDeadline
    {
        public static readonly UnsubscribeDeadline Instance = new();
    }
}
