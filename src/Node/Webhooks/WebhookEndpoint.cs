using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using CallCluster.Contracts.Events;
using CallCluster.Gateway.Events;
using CallCluster.Node.Events.Metrics;

namespace CallCluster.Node.Webhooks;

/// <summary>Delivers the call-event log to one webhook endpoint, at least once, from its durable outbox: the journal's
/// tagged call events, read after the offset this actor last committed (persisted every
/// <see cref="WebhookSettings.CommitEvery"/>). After a crash or a move to another node it resumes from that offset;
/// whatever was delivered after it is delivered again with the same delivery id, which receivers deduplicate on.
///
/// States: recovering (Akka), <see cref="Starting"/> (a new endpoint asks where the log ends: it delivers what comes
/// after its registration, not the history), <see cref="Running"/>. Every POST runs off the actor thread
/// (<see cref="WebhookSender"/>) and is piped back; a slow or dead receiver only fills this endpoint's pending list
/// (bounded by MaxPending, then it stops reading), never a dialog or another endpoint.</summary>
public sealed class WebhookEndpoint : UntypedPersistentActor, IWithTimers
{
    private readonly WebhookEndpointSpec _spec;
    private readonly WebhookSettings _settings;
    private readonly EventSource _events;
    private readonly WebhookSender _sender;
    private readonly Uri _url;
    private readonly EventFilter _filter;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly WebhookDeliveries _deliveries = new();
    private WebhookOutbox _outbox;
    private long _readCursor;
    private bool _reading;

    public WebhookEndpoint(WebhookEndpointSpec spec, string persistenceId, WebhookSettings settings, EventSource events, WebhookSender sender)
    {
        _spec = spec;
        _settings = settings;
        _events = events;
        _sender = sender;
        _url = new Uri(spec.Url);
        _filter = new EventFilter(null, null, spec.Events.Count > 0 ? spec.Events.ToHashSet(StringComparer.Ordinal) : null);
        _outbox = WebhookOutbox.Empty(settings.DeadLettersKept);
        PersistenceId = persistenceId;
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(WebhookEndpointSpec spec, string persistenceId, WebhookSettings settings, EventSource events, WebhookSender sender) =>
        Akka.Actor.Props.Create(() => new WebhookEndpoint(spec, persistenceId, settings, events, sender));

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case WebhookOffsetCommitted e:
                _outbox = _outbox.Apply(e);
                break;
            case WebhookDeadLettered e:
                _outbox = _outbox.Apply(e);
                break;
            case RecoveryCompleted:
                if (_outbox.Started)
                {
                    BeginRunning();
                }
                else
                {
                    _events.Feed.Tell(GetEventHead.Instance, Self);
                    Become(Starting);
                }

                break;
        }
    }

    protected override void OnCommand(object message) => Running(message);

    private void Starting(object message)
    {
        switch (message)
        {
            case EventHead { Failure: null } head:
                Persist(new WebhookOffsetCommitted(head.Offset), e =>
                {
                    _outbox = _outbox.Apply(e);
                    BeginRunning();
                });
                break;
            case EventHead head:
                _log.Warning("Webhook {0}: the event log could not be read ({1}); trying again", _spec.Name, head.Failure);
                Timers.StartSingleTimer("head", GetEventHead.Instance, _events.PollInterval * 10);
                break;
            case GetEventHead:
                _events.Feed.Tell(GetEventHead.Instance, Self);
                break;
            default:
                if (!Queries(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    private void BeginRunning()
    {
        _readCursor = _outbox.Offset;
        Timers.StartPeriodicTimer("commit", Commit.Instance, _settings.CommitEvery);
        Become(Running);
        Read();
    }

    private void Running(object message)
    {
        switch (message)
        {
            case EventPage page:
                OnPage(page);
                break;
            case Poll:
                Read();
                break;
            case AttemptDone done:
                OnAttemptDone(done);
                break;
            case RetryDue due when _deliveries.TryGet(due.Offset, out var delivery):
                _deliveries.RetryDue(delivery);
                Dispatch();
                break;
            case Commit:
                CommitProgress();
                break;
            default:
                if (!Queries(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    private bool Queries(object message)
    {
        switch (message)
        {
            case GetWebhookInfo:
                Sender.Tell(new WebhookInfo(_spec.Name, _spec.Url, _spec.Events, _spec.Source, _outbox.Offset, _deliveries.InFlight,
                    _deliveries.Pending, _outbox.DeadLetters.Count));
                return true;
            case ListWebhookDeadLetters:
                Sender.Tell(new WebhookDeadLetterList(_spec.Name, _outbox.DeadLetters.ToList(), null));
                return true;
            default:
                return false;
        }
    }

    // ---------------------------------------------------------------- reading the log

    private void Read()
    {
        if (_reading || _deliveries.Pending >= _settings.MaxPending)
        {
            return; // a page is on its way, or enough is waiting: the poll timer tries again
        }

        _reading = true;
        var room = Math.Min(_events.PageSize, _settings.MaxPending - _deliveries.Pending);
        _events.Feed.Tell(new ReadEvents(_readCursor, room), Self);
    }

    private void OnPage(EventPage page)
    {
        _reading = false;
        foreach (var stored in page.Events)
        {
            _readCursor = stored.Offset;
            if (_filter.Matches(stored.Event))
            {
                _deliveries.Add(new Delivery(stored, $"{_spec.Name}-{stored.Offset}"));
            }
        }

        Dispatch();
        if (page.Failure is null && page.Events.Count > 0 && _deliveries.Pending < _settings.MaxPending)
        {
            Read(); // there may be more right away
        }
        else
        {
            if (page.Failure is not null)
            {
                _log.Warning("Webhook {0}: the event log could not be read ({1})", _spec.Name, page.Failure);
            }

            Timers.StartSingleTimer("poll", Poll.Instance, _events.PollInterval);
        }
    }

    // ---------------------------------------------------------------- delivering

    private void Dispatch()
    {
        while (_deliveries.Start(_settings.Concurrency) is { } delivery)
        {
            delivery.Attempts++;
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var body = WebhookBody.Write(delivery.DeliveryId, _spec.Name, delivery.Stored, timestamp, delivery.Attempts);
            var signature = WebhookSigner.Sign(_spec.Secret, body);
            var offset = delivery.Stored.Offset;
            _sender.PostAsync(_url, body, signature, timestamp, delivery.DeliveryId)
                .PipeTo(Self, success: r => new AttemptDone(offset, r));
        }
    }

    private void OnAttemptDone(AttemptDone done)
    {
        if (!_deliveries.TryGet(done.Offset, out var delivery))
        {
            return;
        }

        if (done.Outcome.Ok)
        {
            _deliveries.Done(delivery);
            EventMetrics.Delivered(_spec.Name,
                DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(delivery.Stored.Event.AtMs));
        }
        else if (delivery.Attempts >= _settings.MaxAttempts)
        {
            _deliveries.Done(delivery);
            EventMetrics.Dead(_spec.Name);
            _log.Warning("Webhook {0}: delivery {1} ({2} of {3}) failed {4} times, last {5}: dead-lettered", _spec.Name,
                delivery.DeliveryId, delivery.Stored.Event.Name, delivery.Stored.Event.CallId, delivery.Attempts, done.Outcome.Detail);
            var dead = new WebhookDeadLettered(delivery.DeliveryId, delivery.Stored.Offset, delivery.Stored.Event.CallId,
                delivery.Stored.Event.Name, delivery.Attempts, done.Outcome.Detail, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            Persist(dead, e => _outbox = _outbox.Apply(e));
        }
        else
        {
            _deliveries.Failed();
            delivery.LastError = done.Outcome.Detail;
            EventMetrics.Retried(_spec.Name);
            Timers.StartSingleTimer(("retry", done.Offset), new RetryDue(done.Offset),
                _settings.Backoff(delivery.Attempts, Random.Shared.NextDouble()));
        }

        Dispatch();
    }

    /// <summary>Persists how far the log is done when that moved; what is after it is delivered again after a restart.</summary>
    private void CommitProgress()
    {
        var doneUpTo = _deliveries.DoneUpTo(_readCursor);
        if (doneUpTo > _outbox.Offset)
        {
            Persist(new WebhookOffsetCommitted(doneUpTo), e => _outbox = _outbox.Apply(e));
        }
    }

    private sealed record AttemptDone(long Offset, WebhookAttemptResult Outcome);

    private sealed record RetryDue(long Offset);

    private sealed record Poll
    {
        public static readonly Poll Instance = new();
    }

    private sealed record Commit
    {
        public static readonly Commit Instance = new();
    }
}
