using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Gateway.Calls;
using CallCluster.Gateway.Events;
using CallCluster.Gateway.Protocol;
using CallCluster.Gateway.Security;

namespace CallCluster.Gateway.Connection;

/// <summary>One client connection: routes validated requests to the command region, pairs the answers with
/// request ids, and writes replies and notifications to the outbound stream in protocol order (a request's
/// reply before any notification of its command; notifications per command in seq order, no duplicates).
/// States: Active (serving) → stopped. The outbound actor's death (client gone or too slow) or
/// <see cref="ConnectionClosed"/> ends it; PostStop unsubscribes every command, which keep running.</summary>
public sealed class ConnectionActor : ActorBase, IWithTimers
{
    /// <summary>Out-of-order notifications held per command before the gap is given up on (bounded memory).</summary>
    private const int MaxAhead = 256;

    private readonly IActorRef _region;
    private readonly IActorRef? _dialogs;
    private readonly IActorRef _outbound;
    private readonly GatewaySettings _settings;
    private readonly IDialect _dialect;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, List<PendingRequest>> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CommandTrack> _tracks = new(StringComparer.Ordinal);
    private readonly Queue<PendingRequest> _deadlines = new();
    private readonly long _askTimeoutMs;
    private int _inFlight;
    private CallLister? _lister;

    /// <summary>Call events (EventsSubscribe); null where this gateway does not serve them.</summary>
    private readonly EventSource? _events;

    /// <summary>This connection's event subscriptions by id, each a child actor; at most <see cref="MaxSubscriptions"/>.</summary>
    private readonly Dictionary<string, IActorRef> _subscriptions = new(StringComparer.Ordinal);
    private int _nextSubscription;
    private const int MaxSubscriptions = 16;

    /// <summary>Who is on this connection; null: a connection nothing restricts (tests that predate security).</summary>
    private readonly ConnectionAccess? _access;

    /// <summary>Present when the caller's token is limited to SIP domains.</summary>
    private readonly DomainGuard? _guard;


    /// <param name="dialogs">The dialog shard region or proxy, for CallGet; null where this gateway does not serve it.</param>
    private readonly Action? _frameHandled;

    /// <param name="dialect">The wire form of this connection's path (native when null): every frame written here,
    /// error replies included, is in it.</param>
    /// <param name="frameHandled">Called after each <see cref="InboundFrame"/> is handled (the receive loop's credit).</param>
    /// <param name="events">Where call events are read (EventsSubscribe); null: not served here.</param>
    /// <param name="access">The caller's scopes, domains, limiter and audit log (docs/security.md).</param>
    public ConnectionActor(IActorRef region, IActorRef outbound, GatewaySettings settings, IActorRef? dialogs = null,
        IDialect? dialect = null, Action? frameHandled = null, EventSource? events = null, ConnectionAccess? access = null)
    {
        _events = events;
        _access = access;
        _guard = access is { DomainLimited: true } ? new DomainGuard(access.Caller.Domains, region, dialogs, settings.AskTimeout) : null;
        _dialect = dialect ?? NativeDialect.Default;
        _frameHandled = frameHandled;
        _region = region;
        _dialogs = dialogs;
        _outbound = outbound;
        _settings = settings;
        _askTimeoutMs = (long)settings.AskTimeout.TotalMilliseconds;
        Become(Active);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef region, IActorRef outbound, GatewaySettings settings, IActorRef? dialogs = null,
        IDialect? dialect = null, Action? frameHandled = null, EventSource? events = null, ConnectionAccess? access = null) =>
        Akka.Actor.Props.Create(() => new ConnectionActor(region, outbound, settings, dialogs, dialect, frameHandled, events, access));

    protected override void PreStart()
    {
        Context.Watch(_outbound);
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(_settings.AskTimeout.TotalMilliseconds / 4, 20, 1000));
        Timers.StartPeriodicTimer("ask-timeouts", CheckAskTimeouts.Instance, tick);
    }

    protected override void PostStop()
    {
        // Commands keep running without this connection; they can be re-attached with CommandSubscribe.
        foreach (var (cmdId, track) in _tracks)
        {
            _region.Tell(new UnsubscribeCommand(cmdId, Self), ActorRefs.NoSender);
            // The token's in-flight budget counts commands its open connections follow (docs/security.md).
            track.Lease?.Dispose();
        }

        _tracks.Clear();
        _pending.Clear();
    }

    protected override bool Receive(object message) => Active(message);

    private bool Active(object message)
    {
        switch (message)
        {
            case CommandNotification n:
                OnNotification(n);
                return true;
            case CommandAccepted a:
                if (Take(a.CmdId, PendingKind.Start) is { } start)
                {
                    AuditStart(start, CommandAudit.Started);
                    MarkAttached(a.CmdId);
                    Complete(start, start.IdJson is { } id ? _dialect.Started(id, a.CmdId) : null);
                }

                return true;
            case InboundFrame frame:
                try
                {
                    OnFrame(frame);
                }
                finally
                {
                    _frameHandled?.Invoke();
                }

                return true;
            case CommandSubscribed s:
                if (Take(s.CmdId, PendingKind.Subscribe) is { } sub)
                {
                    OnSubscribed(sub, s);
                }

                return true;
            case CommandSnapshot snapshot:
                if (Take(snapshot.CmdId, PendingKind.Get) is { } get)
                {
                    Complete(get, get.IdJson is { } id ? JsonRpcWriter.Snapshot(id, snapshot) : null);
                }

                return true;
            case CommandRejected r:
                // The entity answers in the order it was asked, so a rejection belongs to the oldest open request.
                if (Take(r.CmdId, null) is { } rejected)
                {
                    AuditStart(rejected, CommandAudit.Refused(r.Code));
                    Complete(rejected, rejected.IdJson is { } id
                        ? _dialect.Error(id, new RpcError(r.Code, r.Message, r.Data))
                        : null);
                }

                return true;
            case CheckAskTimeouts:
                OnTick();
                return true;
            case CallGetAnswered answered:
                OnCallGetAnswered(answered);
                return true;
            case CallListAnswered listed:
                OnCallListAnswered(listed);
                return true;
            case EventsHeadFound head:
                StartSubscription(head.Request, head.Batch, head.Slot, head.Head);
                return true;
            case DomainChecked verdict:
                OnDomainChecked(verdict);
                return true;
            case Terminated t when t.ActorRef.Equals(_outbound):
                _log.Debug("Outbound stream ended; connection actor stops");
                Context.Stop(Self);
                return true;
            case ConnectionClosed closed:
                _log.Debug("Connection closed: {0}", closed.Reason);
                Context.Stop(Self);
                return true;
            default:
                return false;
        }
    }

    private void OnFrame(InboundFrame frame)
    {
        if (!frame.IsBatch)
        {
            Handle(frame.Items[0], null, 0);
            return;
        }

        var slots = 0;
        foreach (var item in frame.Items)
        {
            if (item.WantsReply) slots++;
        }

        var batch = new BatchReply(slots);
        var slot = 0;
        foreach (var item in frame.Items)
        {
            Handle(item, batch, item.WantsReply ? slot++ : -1);
        }

        batch.Sealed = true;
        TryFlush(batch);
    }

    /// <summary>Scope first (-32005), then, for a domain-limited token, whether the request stays inside its domains
    /// (-32001 otherwise, asked of the cluster off this thread), then the request itself.</summary>
    private void Handle(RpcItem item, BatchReply? batch, int slot)
    {
        if (_access is { } access && item is not RpcInvalid)
        {
            var scope = ConnectionAccess.RequiredScope(item);
            if (!access.Caller.Has(scope))
            {
                if (item is RpcCommand refused) access.Audit(refused.Method, refused.CmdId, CommandAudit.Forbidden);
                Answer(item.IdJson, batch, slot, ConnectionAccess.ForbiddenFor(item, scope));
                return;
            }

            if (_guard is { } guard && CheckDomains(item, guard) is { } check)
            {
                check.PipeTo(Self, success: inside => new DomainChecked(item, batch, slot, inside),
                    failure: _ => new DomainChecked(item, batch, slot, false));
                return;
            }
        }

        Dispatch(item, batch, slot);
    }

    /// <summary>The cluster question that decides whether a request stays inside the token's domains; null when the
    /// answer is filtered later instead (CallGet, CallList: by the parties of what they return).</summary>
    private static Task<bool>? CheckDomains(RpcItem item, DomainGuard guard) => item switch
    {
        RpcCommand command => guard.ParamsInsideAsync(command.Params),
        RpcGet get => guard.CommandInsideAsync(get.CmdId),
        RpcSubscribe subscribe => guard.CommandInsideAsync(subscribe.CmdId),
        _ => null,
    };

    private void OnDomainChecked(DomainChecked verdict)
    {
        if (verdict.Inside)
        {
            Dispatch(verdict.Item, verdict.Batch, verdict.Slot);
            return;
        }

        if (verdict.Item is RpcCommand command)
        {
            _access?.Audit(command.Method, command.CmdId, CommandAudit.Refused(ErrorCodes.CallUnknown));
        }

        Answer(verdict.Item.IdJson, verdict.Batch, verdict.Slot, DomainGuard.Unknown(verdict.Item));
    }

    private void AuditStart(PendingRequest request, string outcome)
    {
        if (_access is not null && request is { Kind: PendingKind.Start, Message: Contracts.Commands.StartCommand start })
        {
            _access.Audit(start.Method, start.CmdId, outcome);
        }
    }

    private void Dispatch(RpcItem item, BatchReply? batch, int slot)
    {
        switch (item)
        {
            case RpcInvalid invalid:
                Answer(invalid.IdJson, batch, slot, invalid.Error);
                break;
            case RpcCommand command:
                StartCommand(command, batch, slot);
                break;
            case RpcSubscribe subscribe:
            {
                // A new track skips what the client already has at once; an existing one (this connection started or
                // follows the command) moves its last seq only once the command confirms after_seq exists.
                var isNew = !_tracks.ContainsKey(subscribe.CmdId);
                GetOrAddTrack(subscribe.CmdId, subscribe.AfterSeq);
                var subscribeMessage = new SubscribeCommand(subscribe.CmdId, subscribe.AfterSeq, Self);
                Register(new PendingRequest(PendingKind.Subscribe, subscribe.IdJson, subscribe.CmdId, batch, slot, Deadline())
                {
                    Message = subscribeMessage,
                    AfterSeq = subscribe.AfterSeq,
                    NewTrack = isNew,
                });
                _region.Tell(subscribeMessage, Self);
                break;
            }
            case RpcGet get:
                Register(new PendingRequest(PendingKind.Get, get.IdJson, get.CmdId, batch, slot, Deadline()));
                _region.Tell(new GetCommand(get.CmdId), Self);
                break;
            case RpcQuery { Method: CommandMethods.CallGet } query when _dialogs is not null:
                // Answered when the dialog entity replies; a batch waits for this slot like for any other.
                _dialogs.Ask<DialogView>(new GetDialog(query.Params["callid"]), _settings.AskTimeout)
                    .PipeTo(Self, success: view => new CallGetAnswered(query.IdJson, batch, slot, view),
                        failure: _ => new CallGetAnswered(query.IdJson, batch, slot, null));
                break;
            case RpcQuery { Method: CommandMethods.CallList } query when _dialogs is not null:
                ListCalls(query, batch, slot);
                break;
            case RpcQuery query:
                Answer(query.IdJson, batch, slot, RpcError.Server($"{query.Method} is not implemented by this gateway yet"));
                break;
            case RpcEventsSubscribe subscribe:
                SubscribeEvents(subscribe, batch, slot);
                break;
            case RpcEventsUnsubscribe unsubscribe:
                UnsubscribeEvents(unsubscribe, batch, slot);
                break;
        }
    }

    // ---------------------------------------------------------------- call events (docs/call-events.md)

    /// <summary>With a cursor the subscription starts at once; without one it starts at the newest event, which the
    /// feed finds off this actor's thread. Either way the reply is written before the subscription's first event: the
    /// child that writes events is created only when the reply is.</summary>
    private void SubscribeEvents(RpcEventsSubscribe subscribe, BatchReply? batch, int slot)
    {
        if (_events is null)
        {
            Answer(subscribe.IdJson, batch, slot, RpcError.Server("EventsSubscribe is not served by this gateway (no event log)"));
            return;
        }

        if (_subscriptions.Count >= MaxSubscriptions)
        {
            Answer(subscribe.IdJson, batch, slot, RpcError.Overloaded($"too many event subscriptions on this connection (max {MaxSubscriptions})"));
            return;
        }

        if (subscribe.After is { } after)
        {
            StartSubscription(subscribe, batch, slot, new EventHead(after));
            return;
        }

        _events.Feed.Ask<EventHead>(GetEventHead.Instance, _settings.AskTimeout)
            .PipeTo(Self, success: head => new EventsHeadFound(subscribe, batch, slot, head),
                failure: e => new EventsHeadFound(subscribe, batch, slot, new EventHead(0, e.GetBaseException().Message)));
    }

    private void StartSubscription(RpcEventsSubscribe subscribe, BatchReply? batch, int slot, EventHead head)
    {
        if (head.Failure is not null)
        {
            Answer(subscribe.IdJson, batch, slot, RpcError.Server("the event log could not be read: " + head.Failure));
            return;
        }

        var id = "sub-" + (++_nextSubscription).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Reply(subscribe.IdJson, batch, slot, JsonRpcWriter.EventsSubscribed(subscribe.IdJson ?? "null", id, head.Offset));
        // A domain-limited token hears only its domains' calls (DomainGuard.EventInside).
        var filter = _guard is not { } guard ? subscribe.Filter : subscribe.Filter with { Visible = guard.EventInside };
        _subscriptions[id] = Context.ActorOf(EventSubscription.Props(id, filter, head.Offset, _outbound, _events!), id);
    }

    private void UnsubscribeEvents(RpcEventsUnsubscribe unsubscribe, BatchReply? batch, int slot)
    {
        if (!_subscriptions.Remove(unsubscribe.Subscription, out var child))
        {
            Answer(unsubscribe.IdJson, batch, slot, RpcError.InvalidParams(
                $"subscription: {unsubscribe.Subscription} is not an event subscription of this connection"));
            return;
        }

        Context.Stop(child);
        Reply(unsubscribe.IdJson, batch, slot, JsonRpcWriter.EventsUnsubscribed(unsubscribe.IdJson ?? "null", unsubscribe.Subscription));
    }

    /// <summary>A success reply, alone or in its batch slot; nothing for a JSON-RPC notification.</summary>
    private void Reply(string? idJson, BatchReply? batch, int slot, byte[] reply)
    {
        if (idJson is null)
        {
            return;
        }

        if (batch is null)
        {
            Write(reply);
            return;
        }

        batch.Slots[slot] = reply;
        batch.Filled++;
        TryFlush(batch);
    }

    private sealed record EventsHeadFound(RpcEventsSubscribe Request, BatchReply? Batch, int Slot, EventHead Head);

    private void StartCommand(RpcCommand command, BatchReply? batch, int slot)
    {
        _tracks.TryGetValue(command.CmdId, out var track);
        if (track is not { CountsInFlight: true })
        {
            if (_inFlight >= _settings.MaxInFlightPerConnection)
            {
                _access?.Audit(command.Method, command.CmdId, CommandAudit.Limited);
                Answer(command.IdJson, batch, slot, RpcError.Overloaded(
                    $"too many commands in flight on this connection (max {_settings.MaxInFlightPerConnection})"));
                return;
            }

            System.Threading.RateLimiting.RateLimitLease? lease = null;
            if (_access?.Limiter is { } limiter)
            {
                // AttemptAcquire never waits: a token over its budget is told so at once (-32004), nothing queues.
                using (var rate = limiter.Rate.AttemptAcquire())
                {
                    if (!rate.IsAcquired)
                    {
                        RefuseOverBudget(command, batch, slot, $"more than {limiter.PerSecond} commands per second for this token");
                        return;
                    }
                }

                lease = limiter.InFlight.AttemptAcquire();
                if (!lease.IsAcquired)
                {
                    lease.Dispose();
                    RefuseOverBudget(command, batch, slot, $"too many commands in flight for this token (max {limiter.MaxInFlight})");
                    return;
                }
            }

            track ??= GetOrAddTrack(command.CmdId, 0);
            track.CountsInFlight = true;
            track.Lease = lease;
            _inFlight++;
        }

        // A repeat of a command this connection already follows keeps the memory its notifications built.
        track.Memory ??= _dialect.Begin(command);

        var startMessage = new Contracts.Commands.StartCommand(command.CmdId, command.Method, command.Params, Self);
        Register(new PendingRequest(PendingKind.Start, command.IdJson, command.CmdId, batch, slot, Deadline()) { Message = startMessage });
        _region.Tell(startMessage, Self);
    }

    private void RefuseOverBudget(RpcCommand command, BatchReply? batch, int slot, string why)
    {
        _access?.Audit(command.Method, command.CmdId, CommandAudit.Limited);
        Answer(command.IdJson, batch, slot, RpcError.Overloaded(why));
    }

    /// <summary>The command answered a CommandSubscribe with its last seq. An after_seq beyond it names a notification
    /// that does not exist: the subscriber would wait for nothing (not even Ended), so it is refused -32602 with the
    /// last seq, and this connection does not follow the command because of it.</summary>
    private void OnSubscribed(PendingRequest sub, CommandSubscribed s)
    {
        if (sub.AfterSeq > s.LastSeq)
        {
            if (sub.NewTrack && _tracks.TryGetValue(s.CmdId, out var fresh) && !fresh.Attached && !fresh.CountsInFlight
                && fresh.Blocking == 1)
            {
                // Nothing else of this connection follows the command: the entity's subscription is undone.
                _region.Tell(new UnsubscribeCommand(s.CmdId, Self), ActorRefs.NoSender);
            }

            Complete(sub, sub.IdJson is { } id
                ? _dialect.Error(id, RpcError.InvalidParams(
                    $"after_seq: {sub.AfterSeq} is beyond the last notification of this command (last seq {s.LastSeq})"))
                : null);
            return;
        }

        if (_tracks.TryGetValue(s.CmdId, out var track))
        {
            track.LastSeq = Math.Max(track.LastSeq, sub.AfterSeq);
        }

        MarkAttached(s.CmdId);
        Complete(sub, sub.IdJson is { } okId ? JsonRpcWriter.Subscribed(okId, s) : null);
    }

    private CommandTrack GetOrAddTrack(string cmdId, int lastSeq)
    {
        if (!_tracks.TryGetValue(cmdId, out var track))
        {
            track = new CommandTrack(lastSeq);
            _tracks.Add(cmdId, track);
        }

        return track;
    }

    private long Deadline() => Environment.TickCount64 + _askTimeoutMs;

    private void Register(PendingRequest request)
    {
        if (request.Blocks)
        {
            _tracks[request.CmdId].Blocking++;
        }

        if (!_pending.TryGetValue(request.CmdId, out var list))
        {
            list = new List<PendingRequest>(1);
            _pending.Add(request.CmdId, list);
        }

        list.Add(request);
        _deadlines.Enqueue(request);
    }

    private PendingRequest? Take(string cmdId, PendingKind? kind)
    {
        if (!_pending.TryGetValue(cmdId, out var list))
        {
            return null; // late answer to a request that already timed out
        }

        var index = 0;
        if (kind is { } k)
        {
            // No lambda: this runs for every reply.
            while (index < list.Count && list[index].Kind != k) index++;
            if (index == list.Count) return null;
        }

        var request = list[index];
        list.RemoveAt(index);
        if (list.Count == 0)
        {
            _pending.Remove(cmdId);
        }

        return request;
    }

    private void MarkAttached(string cmdId)
    {
        if (_tracks.TryGetValue(cmdId, out var track))
        {
            track.Attached = true;
            track.LastActivityMs = Environment.TickCount64;
        }
    }

    /// <summary>Asks the command to (re)send what follows <paramref name="track"/>'s last seq to this connection. After a
    /// call node dies, a command restarts on another node that does not know its subscribers; a quiet command in flight,
    /// or a gap in its seq, is how this connection notices. Subscribing again is idempotent at the entity.</summary>
    private void Resubscribe(string cmdId, CommandTrack track)
    {
        track.LastActivityMs = Environment.TickCount64;
        _region.Tell(new SubscribeCommand(cmdId, track.LastSeq, Self), Self);
    }

    /// <summary>A request's reply is known (null: a JSON-RPC notification, nothing to write).</summary>
    private void Complete(PendingRequest request, byte[]? reply)
    {
        request.Done = true;
        if (reply is null || request.Batch is null)
        {
            if (reply is not null)
            {
                Write(reply);
            }

            if (request.Blocks)
            {
                Unblock(request.CmdId);
            }

            return;
        }

        var batch = request.Batch;
        batch.Slots[request.Slot] = reply;
        batch.Filled++;
        if (request.Blocks)
        {
            batch.ToUnblock.Add(request.CmdId);
        }

        TryFlush(batch);
    }

    private void Answer(string? idJson, BatchReply? batch, int slot, RpcError error)
    {
        if (idJson is null)
        {
            CallCluster.Hosting.Metrics.CallClusterMetrics.RpcError(error.Code);
            return; // notifications never get replies, not even errors
        }

        var reply = _dialect.Error(idJson, error);
        if (batch is null)
        {
            Write(reply);
            return;
        }

        batch.Slots[slot] = reply;
        batch.Filled++;
        TryFlush(batch);
    }

    private void TryFlush(BatchReply batch)
    {
        if (!batch.Sealed || batch.Flushed || batch.Filled < batch.Slots.Length)
        {
            return;
        }

        batch.Flushed = true;
        if (batch.Slots.Length > 0)
        {
            Write(JsonRpcWriter.Batch(batch.Slots!));
        }

        foreach (var cmdId in batch.ToUnblock)
        {
            Unblock(cmdId);
        }
    }

    /// <summary>A reply that held the command's notifications back has been written.</summary>
    private void Unblock(string cmdId)
    {
        if (!_tracks.TryGetValue(cmdId, out var track))
        {
            return;
        }

        track.Blocking--;
        if (track.Blocking > 0)
        {
            return;
        }

        if (track.Held is { } held)
        {
            track.Held = null;
            foreach (var n in held)
            {
                WriteNotification(track, n);
            }
        }

        // Finished (Ended written) or never accepted (rejected, timed out): nothing more will come for it.
        if (track.Ended || !track.Attached)
        {
            RemoveTrack(cmdId, track);
        }
    }

    private void RemoveTrack(string cmdId, CommandTrack track)
    {
        _tracks.Remove(cmdId);
        if (track.CountsInFlight)
        {
            _inFlight--;
        }

        track.Lease?.Dispose();
        track.Lease = null;
    }

    private void OnNotification(CommandNotification n)
    {
        if (!_tracks.TryGetValue(n.CmdId, out var track) || n.Seq <= track.LastSeq)
        {
            return; // duplicate, or a command this connection no longer follows
        }

        if (n.Seq != track.LastSeq + 1)
        {
            // Before the command answered, its replay fills any gap by itself.
            if (track.Ahead is null && track.Attached)
            {
                Resubscribe(n.CmdId, track);
            }

            var ahead = track.Ahead ??= new SortedList<int, CommandNotification>();
            ahead.TryAdd(n.Seq, n);
            if (ahead.Count > MaxAhead)
            {
                // The missing seq is not coming (lost in a failover): deliver what we have, in order.
                _log.Warning("Command {0}: seq {1} missing, skipping the gap", n.CmdId, track.LastSeq + 1);
                DrainAhead(track, skipGaps: true);
            }

            AfterDelivery(n.CmdId, track);
            return;
        }

        Deliver(track, n);
        DrainAhead(track, skipGaps: false);
        AfterDelivery(n.CmdId, track);
    }

    private void DrainAhead(CommandTrack track, bool skipGaps)
    {
        var ahead = track.Ahead;
        while (ahead is { Count: > 0 } && (skipGaps || ahead.Keys[0] == track.LastSeq + 1))
        {
            var next = ahead.Values[0];
            ahead.RemoveAt(0);
            if (next.Seq > track.LastSeq)
            {
                Deliver(track, next);
            }
        }

        if (ahead is { Count: 0 })
        {
            track.Ahead = null;
        }
    }

    private void Deliver(CommandTrack track, CommandNotification n)
    {
        track.LastSeq = n.Seq;
        track.LastActivityMs = Environment.TickCount64;
        if (n.Kind == NotificationKind.Ended)
        {
            track.Ended = true;
        }

        if (track.Blocking > 0)
        {
            (track.Held ??= []).Add(n);
        }
        else
        {
            WriteNotification(track, n);
        }
    }

    /// <summary>Notifications reach here once each and in seq order, which is what a dialect's memory relies on.</summary>
    private void WriteNotification(CommandTrack track, CommandNotification n)
    {
        var rendered = _dialect.Render(n, track.Memory);
        track.Memory = rendered.Memory;
        foreach (var frame in rendered.Frames)
        {
            Write(frame);
        }
    }

    private void AfterDelivery(string cmdId, CommandTrack track)
    {
        if (track.Ended && track.Blocking == 0)
        {
            RemoveTrack(cmdId, track);
        }
    }

    private void OnTick()
    {
        var now = Environment.TickCount64;
        ResendUnanswered(now);
        var quietMs = (long)_settings.ResubscribeAfter.TotalMilliseconds;
        foreach (var (cmdId, track) in _tracks)
        {
            if (track.Attached && !track.Ended && now - track.LastActivityMs >= quietMs)
            {
                Resubscribe(cmdId, track);
            }
        }

        while (_deadlines.TryPeek(out var request) && (request.Done || request.DeadlineMs <= now))
        {
            _deadlines.Dequeue();
            if (request.Done)
            {
                continue;
            }

            if (_pending.TryGetValue(request.CmdId, out var list))
            {
                list.Remove(request);
                if (list.Count == 0) _pending.Remove(request.CmdId);
            }

            _log.Warning("Command service did not answer {0} for {1} within {2}", request.Kind, request.CmdId, _settings.AskTimeout);
            AuditStart(request, CommandAudit.Timeout);
            if (request.Blocks && _tracks.TryGetValue(request.CmdId, out var track) && !track.Attached)
            {
                // It may still start later; this connection has answered with an error and stops following it.
                _region.Tell(new UnsubscribeCommand(request.CmdId, Self), ActorRefs.NoSender);
            }

            Complete(request, request.IdJson is { } id
                ? _dialect.Error(id, RpcError.Server("command service did not answer in time"))
                : null);
        }
    }

    private void OnCallGetAnswered(CallGetAnswered answered)
    {
        if (answered.View is not { } view)
        {
            Answer(answered.IdJson, answered.Batch, answered.Slot, CallQueries.GetTimedOut);
            return;
        }

        var unknown = CallQueries.Unknown(view);
        if (unknown is null && _guard is not null && !_guard.CallInside(view))
        {
            unknown = CallQueries.UnknownCall(view.CallId);
        }

        if (unknown is not null)
        {
            Answer(answered.IdJson, answered.Batch, answered.Slot, unknown);
            return;
        }

        if (answered.IdJson is null)
        {
            return;
        }

        var reply = JsonRpcWriter.Call(answered.IdJson, view);
        if (answered.Batch is null)
        {
            Write(reply);
            return;
        }

        answered.Batch.Slots[answered.Slot] = reply;
        answered.Batch.Filled++;
        TryFlush(answered.Batch);
    }

    /// <summary>CallList: gathered from every call node off the actor thread (<see cref="CallLister"/>), piped back.</summary>
    private void ListCalls(RpcQuery query, BatchReply? batch, int slot)
    {
        var (limit, after, invalid) = CallQueries.ListArguments(query.Params);
        if (invalid is not null)
        {
            Answer(query.IdJson, batch, slot, invalid);
            return;
        }

        _lister ??= new CallLister(Context.System, _dialogs!, _settings.AskTimeout);
        _lister.ListAsync(limit, after).PipeTo(Self,
            success: page => new CallListAnswered(query.IdJson, batch, slot, page, null),
            failure: e => new CallListAnswered(query.IdJson, batch, slot, null, CallQueries.ListFailure(e)));
    }

    private void OnCallListAnswered(CallListAnswered listed)
    {
        if (listed.Page is not { } page)
        {
            Answer(listed.IdJson, listed.Batch, listed.Slot, RpcError.Server(listed.Failure ?? "CallList failed"));
            return;
        }

        if (listed.IdJson is null)
        {
            return;
        }

        var calls = _guard is null ? page.Calls : page.Calls.Where(_guard.CallInside).ToList();
        var reply = JsonRpcWriter.CallList(listed.IdJson, calls, page.NextCursor);
        if (listed.Batch is null)
        {
            Write(reply);
            return;
        }

        listed.Batch.Slots[listed.Slot] = reply;
        listed.Batch.Filled++;
        TryFlush(listed.Batch);
    }

    /// <summary>Whether a request of a domain-limited token stays inside its domains, piped back.</summary>
    private sealed record DomainChecked(RpcItem Item, BatchReply? Batch, int Slot, bool Inside);

    private sealed record CallListAnswered(string? IdJson, BatchReply? Batch, int Slot, CallPage? Page, string? Failure);

    /// <summary>A CallGet's answer, piped back to this actor (the batch it belongs to is this actor's own state).</summary>
    private sealed record CallGetAnswered(string? IdJson, BatchReply? Batch, int Slot, DialogView? View);

    /// <summary>Half-way to its deadline, an unanswered Start or Subscribe is sent once more.</summary>
    private void ResendUnanswered(long now)
    {
        var halfMs = _askTimeoutMs / 2;
        foreach (var requests in _pending.Values)
        {
            foreach (var request in requests)
            {
                if (!request.Done && !request.Resent && request.Message is { } message && request.DeadlineMs - now <= halfMs)
                {
                    request.Resent = true;
                    _log.Debug("No answer yet for {0} of {1}: sending it again", request.Kind, request.CmdId);
                    _region.Tell(message, Self);
                }
            }
        }
    }

    private void Write(byte[] frame) => _outbound.Tell(frame, ActorRefs.NoSender);
}
