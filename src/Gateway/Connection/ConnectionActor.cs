using Akka.Actor;
using Akka.Event;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Gateway.Calls;
using CallCluster.Gateway.Events;
using CallCluster.Gateway.Protocol;
using CallCluster.Gateway.Security;
using CallCluster.Hosting.Tracing;

namespace CallCluster.Gateway.Connection;

/// <summary>One client connection (docs/protocol.md): checks each parsed request against the caller's access, sends it
/// where it is answered (command region, dialog region, event log), and pairs the answers with request ids. Its
/// collaborators each keep one part of the connection's state, on this actor's thread:
/// <see cref="ReplyWriter"/> (replies alone or as a batch, in protocol order), <see cref="CommandTracks"/> (which
/// commands this connection follows; their notifications once each, in seq order, after the reply that attached
/// them; replay after gaps and failovers), <see cref="PendingRequests"/> (unanswered requests, resent and timed out),
/// <see cref="EventSubscriptions"/> (call-event subscriptions) and <see cref="CommandAdmission"/> (in-flight and rate
/// limits). States: Active (serving) → stopped. The outbound actor's death (client gone or too slow) or
/// <see cref="ConnectionClosed"/> ends it; PostStop unsubscribes every command, which keep running.</summary>
public sealed class ConnectionActor : ActorBase, IWithTimers
{
    private readonly IActorRef _region;
    private readonly IActorRef? _dialogs;
    private readonly IActorRef _outbound;
    private readonly GatewaySettings _settings;
    private readonly IDialect _dialect;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly long _askTimeoutMs;
    private readonly ReplyWriter _replies;
    private readonly CommandTracks _tracks;
    private readonly PendingRequests _pending = new();
    private EventSubscriptions _subscriptions = EventSubscriptions.None;
    private CallLister? _lister;

    /// <summary>Call events (EventsSubscribe); null where this gateway does not serve them.</summary>
    private readonly EventSource? _events;

    /// <summary>Who is on this connection; null: a connection nothing restricts (tests that predate security).</summary>
    private readonly ConnectionAccess? _access;

    /// <summary>Present when the caller's token is limited to SIP domains.</summary>
    private readonly DomainGuard? _guard;

    private readonly Action? _frameHandled;

    /// <param name="dialogs">The dialog shard region or proxy, for CallGet; null where this gateway does not serve it.</param>
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
        _tracks = new CommandTracks(_dialect, Write,
            resubscribe: (cmdId, lastSeq) => _region.Tell(new SubscribeCommand(cmdId, lastSeq, Self), Self),
            gapSkipped: (cmdId, seq) => _log.Warning("Command {0}: seq {1} missing, skipping the gap", cmdId, seq),
            clock: () => Environment.TickCount64);
        _replies = new ReplyWriter(Write, _tracks.Release);
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
        // Commands keep running without this connection; they can be re-attached with CommandSubscribe. Forgetting the
        // tracks returns the token's in-flight permits: its budget counts what its open connections follow.
        foreach (var cmdId in _tracks.Forget())
        {
            _region.Tell(new UnsubscribeCommand(cmdId, Self), ActorRefs.NoSender);
        }

        // Their answers would find no connection: their spans end here, or they would never be exported.
        foreach (var request in _pending.TakeAllOpen())
        {
            GatewaySpans.Abandoned(request.Span);
        }
    }

    protected override bool Receive(object message) => Active(message);

    private bool Active(object message)
    {
        switch (message)
        {
            case CommandNotification n:
                _tracks.OnNotification(n);
                return true;
            case CommandAccepted a:
                if (_pending.Take(a.CmdId, PendingKind.Start) is { } start)
                {
                    AuditStart(start, CommandAudit.Started);
                    GatewaySpans.Accepted(start.Span, a.Existing);
                    _tracks.MarkAttached(a.CmdId);
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
                if (_pending.Take(s.CmdId, PendingKind.Subscribe) is { } sub)
                {
                    OnSubscribed(sub, s);
                }

                return true;
            case CommandSnapshot snapshot:
                if (_pending.Take(snapshot.CmdId, PendingKind.Get) is { } get)
                {
                    Complete(get, get.IdJson is { } id ? JsonRpcWriter.Snapshot(id, snapshot) : null);
                }

                return true;
            case CommandRejected r:
                // The entity answers in the order it was asked, so a rejection belongs to the oldest open request.
                if (_pending.Take(r.CmdId, null) is { } rejected)
                {
                    AuditStart(rejected, CommandAudit.Refused(r.Code));
                    GatewaySpans.Rejected(rejected.Span, r.Code, r.Message);
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

        var batch = ReplyWriter.NewBatch(frame.Items);
        var slot = 0;
        foreach (var item in frame.Items)
        {
            Handle(item, batch, item.WantsReply ? slot++ : -1);
        }

        _replies.Seal(batch);
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
                SubscribeCommand(subscribe, batch, slot);
                break;
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

    // ---------------------------------------------------------------- commands

    private void StartCommand(RpcCommand command, BatchReply? batch, int slot)
    {
        var span = GatewaySpans.StartCommand(command.CmdId, command.Method, GatewaySpans.WebSocket);
        _tracks.TryGet(command.CmdId, out var track);
        if (track is not { CountsInFlight: true })
        {
            // A repeat of a command this connection already counts is not a new one: it passes the door again free.
            if (CommandAdmission.TryAdmit(_tracks.InFlight, _settings.MaxInFlightPerConnection, _access?.Limiter, out var lease)
                is { } refusal)
            {
                _access?.Audit(command.Method, command.CmdId, CommandAudit.Limited);
                GatewaySpans.Rejected(span, ErrorCodes.Overloaded, refusal);
                Answer(command.IdJson, batch, slot, RpcError.Overloaded(refusal));
                return;
            }

            track ??= _tracks.GetOrAdd(command.CmdId, 0);
            _tracks.CountInFlight(track, lease);
        }

        // A repeat of a command this connection already follows keeps the memory its notifications built.
        track.Memory ??= _dialect.Begin(command);

        var startMessage = new Contracts.Commands.StartCommand(command.CmdId, command.Method, command.Params, Self)
        {
            TraceParent = CallClusterTracing.TraceParentOf(span),
        };
        // A resend may reach an incarnation that already stored this start: only the first send may say the id is new.
        Register(new PendingRequest(PendingKind.Start, command.IdJson, command.CmdId, batch, slot, Deadline())
        {
            Message = startMessage,
            Span = span,
        });
        _region.Tell(command.CmdIdGenerated ? startMessage with { FreshCmdId = true } : startMessage, Self);
    }

    /// <summary>CommandSubscribe: replay from after_seq. A new track skips what the client already has at once; an
    /// existing one (this connection started or follows the command) moves its last seq only once the command
    /// confirms after_seq exists.</summary>
    private void SubscribeCommand(RpcSubscribe subscribe, BatchReply? batch, int slot)
    {
        var isNew = !_tracks.Contains(subscribe.CmdId);
        _tracks.GetOrAdd(subscribe.CmdId, subscribe.AfterSeq);
        var subscribeMessage = new SubscribeCommand(subscribe.CmdId, subscribe.AfterSeq, Self);
        Register(new PendingRequest(PendingKind.Subscribe, subscribe.IdJson, subscribe.CmdId, batch, slot, Deadline())
        {
            Message = subscribeMessage,
            AfterSeq = subscribe.AfterSeq,
            NewTrack = isNew,
        });
        _region.Tell(subscribeMessage, Self);
    }

    /// <summary>The command answered a CommandSubscribe with its last seq. An after_seq beyond it names a notification
    /// that does not exist: the subscriber would wait for nothing (not even Ended), so it is refused -32602 with the
    /// last seq, and this connection does not follow the command because of it.</summary>
    private void OnSubscribed(PendingRequest sub, CommandSubscribed s)
    {
        if (sub.AfterSeq > s.LastSeq)
        {
            if (sub.NewTrack && _tracks.TryGet(s.CmdId, out var fresh) && !fresh.Attached && !fresh.CountsInFlight
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

        if (_tracks.TryGet(s.CmdId, out var track))
        {
            track.LastSeq = Math.Max(track.LastSeq, sub.AfterSeq);
        }

        _tracks.MarkAttached(s.CmdId);
        Complete(sub, sub.IdJson is { } okId ? JsonRpcWriter.Subscribed(okId, s) : null);
    }

    private long Deadline() => Environment.TickCount64 + _askTimeoutMs;

    /// <summary>Start and Subscribe hold the command's notifications back until their reply is written.</summary>
    private void Register(PendingRequest request)
    {
        if (request.Blocks)
        {
            _tracks.Block(request.CmdId);
        }

        _pending.Add(request);
    }

    /// <summary>A request's reply is known (null: a JSON-RPC notification, nothing to write).</summary>
    private void Complete(PendingRequest request, byte[]? reply)
    {
        request.Done = true;
        if (reply is not null)
        {
            _replies.Send(request.Batch, request.Slot, reply, request.Blocks ? request.CmdId : null);
        }
        else if (request.Blocks)
        {
            _tracks.Release(request.CmdId);
        }
    }

    /// <summary>An error reply, alone or in its batch slot; a JSON-RPC notification gets none, only the metric.</summary>
    private void Answer(string? idJson, BatchReply? batch, int slot, RpcError error)
    {
        if (idJson is null)
        {
            CallCluster.Hosting.Metrics.CallClusterMetrics.RpcError(error.Code);
            return; // notifications never get replies, not even errors
        }

        _replies.Send(batch, slot, _dialect.Error(idJson, error));
    }

    /// <summary>A success reply, alone or in its batch slot; nothing for a JSON-RPC notification.</summary>
    private void Reply(string? idJson, BatchReply? batch, int slot, byte[] reply)
    {
        if (idJson is not null)
        {
            _replies.Send(batch, slot, reply);
        }
    }

    private void OnTick()
    {
        var now = Environment.TickCount64;
        foreach (var request in _pending.DueForResend(now, _askTimeoutMs / 2))
        {
            _log.Debug("No answer yet for {0} of {1}: sending it again", request.Kind, request.CmdId);
            _region.Tell(request.Message!, Self);
        }

        _tracks.ResubscribeQuiet(now, (long)_settings.ResubscribeAfter.TotalMilliseconds);

        foreach (var request in _pending.TakeExpired(now))
        {
            _log.Warning("Command service did not answer {0} for {1} within {2}", request.Kind, request.CmdId, _settings.AskTimeout);
            AuditStart(request, CommandAudit.Timeout);
            GatewaySpans.TimedOut(request.Span);
            if (request.Blocks && _tracks.TryGet(request.CmdId, out var track) && !track.Attached)
            {
                // It may still start later; this connection has answered with an error and stops following it.
                _region.Tell(new UnsubscribeCommand(request.CmdId, Self), ActorRefs.NoSender);
            }

            Complete(request, request.IdJson is { } id
                ? _dialect.Error(id, RpcError.Server("command service did not answer in time"))
                : null);
        }
    }

    // ---------------------------------------------------------------- call queries

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

        if (answered.IdJson is { } id)
        {
            Reply(id, answered.Batch, answered.Slot, JsonRpcWriter.Call(id, view));
        }
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

        if (listed.IdJson is not { } id)
        {
            return;
        }

        var calls = _guard is null ? page.Calls : page.Calls.Where(_guard.CallInside).ToList();
        Reply(id, listed.Batch, listed.Slot, JsonRpcWriter.CallList(id, calls, page.NextCursor));
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

        if (_subscriptions.Full)
        {
            Answer(subscribe.IdJson, batch, slot, RpcError.Overloaded($"too many event subscriptions on this connection (max {EventSubscriptions.Max})"));
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

        var id = _subscriptions.NextId;
        Reply(subscribe.IdJson, batch, slot, JsonRpcWriter.EventsSubscribed(subscribe.IdJson ?? "null", id, head.Offset));
        // A domain-limited token hears only its domains' calls (DomainGuard.EventInside).
        var filter = _guard is not { } guard ? subscribe.Filter : subscribe.Filter with { Visible = guard.EventInside };
        _subscriptions = _subscriptions.Add(Context.ActorOf(EventSubscription.Props(id, filter, head.Offset, _outbound, _events!), id));
    }

    private void UnsubscribeEvents(RpcEventsUnsubscribe unsubscribe, BatchReply? batch, int slot)
    {
        _subscriptions = _subscriptions.Remove(unsubscribe.Subscription, out var child);
        if (child is null)
        {
            Answer(unsubscribe.IdJson, batch, slot, RpcError.InvalidParams(
                $"subscription: {unsubscribe.Subscription} is not an event subscription of this connection"));
            return;
        }

        Context.Stop(child);
        Reply(unsubscribe.IdJson, batch, slot, JsonRpcWriter.EventsUnsubscribed(unsubscribe.IdJson ?? "null", unsubscribe.Subscription));
    }

    private void Write(byte[] frame) => _outbound.Tell(frame, ActorRefs.NoSender);

    // ---------------------------------------------------------------- answers piped back to this actor (the batch
    // they belong to is this actor's own state, so they are handled here, not in the task's continuation)

    /// <summary>Whether a request of a domain-limited token stays inside its domains.</summary>
    private sealed record DomainChecked(RpcItem Item, BatchReply? Batch, int Slot, bool Inside);

    private sealed record CallListAnswered(string? IdJson, BatchReply? Batch, int Slot, CallPage? Page, string? Failure);

    private sealed record CallGetAnswered(string? IdJson, BatchReply? Batch, int Slot, DialogView? View);

    private sealed record EventsHeadFound(RpcEventsSubscribe Request, BatchReply? Batch, int Slot, EventHead Head);
}
