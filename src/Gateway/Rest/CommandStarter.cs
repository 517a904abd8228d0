using Akka.Actor;
using CallCluster.Contracts;
using CallCluster.Contracts.Commands;
using CallCluster.Hosting.Tracing;

namespace CallCluster.Gateway.Rest;

/// <summary>Asked (with a timeout) by REST handlers to start a command: sends <see cref="StartCommand"/> with itself as
/// the subscriber, because the command entity answers the subscriber rather than the sender, and hands the
/// <see cref="CommandAccepted"/> or <see cref="CommandRejected"/> to the asker. A REST client polls instead of
/// streaming, so the subscription is dropped at once and the notifications that arrive meanwhile are swallowed here
/// (an Ask's temporary actor as subscriber would turn every one of them into a dead letter).</summary>
public sealed class CommandStarter : ReceiveActor, IWithTimers
{
    /// <summary>Starts awaiting the command service's answer, over every REST client of this gateway. Past it a start
    /// is refused -32004 (429) at once: a stalled command service must not make the gateway queue without bound.</summary>
    public const int MaxWaiting = 10_000;

    private readonly IActorRef _region;
    private readonly long _askTimeoutMs;
    private int _waitingCount;

    // The entity answers requests for one cmd_id in the order they were sent, so waiters are queued per cmd_id.
    private readonly Dictionary<string, Queue<Waiter>> _waiting = new(StringComparer.Ordinal);

    public CommandStarter(IActorRef region, TimeSpan askTimeout)
    {
        _region = region;
        _askTimeoutMs = (long)askTimeout.TotalMilliseconds;
        Receive<Start>(OnStart);
        Receive<CommandAccepted>(a =>
        {
            Answer(a.CmdId, a);
            _region.Tell(new UnsubscribeCommand(a.CmdId, Self), ActorRefs.NoSender);
        });
        Receive<CommandRejected>(r => Answer(r.CmdId, r));
        Receive<CommandNotification>(_ => { });
        Receive<Tick>(_ => OnTick());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef region, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create(() => new CommandStarter(region, askTimeout));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromMilliseconds(Math.Clamp(_askTimeoutMs / 4, 20, 1000)));

    private void OnStart(Start start)
    {
        if (_waitingCount >= MaxWaiting)
        {
            Sender.Tell(new CommandRejected(start.CmdId, ErrorCodes.Overloaded, "overloaded",
                $"too many commands waiting for the command service on this gateway (max {MaxWaiting})"));
            return;
        }

        if (!_waiting.TryGetValue(start.CmdId, out var queue))
        {
            queue = new Queue<Waiter>(1);
            _waiting.Add(start.CmdId, queue);
        }

        var span = GatewaySpans.StartCommand(start.CmdId, start.Method, GatewaySpans.Rest, start.TraceParent);
        var message = new StartCommand(start.CmdId, start.Method, start.Params, Self)
        {
            TraceParent = CallClusterTracing.TraceParentOf(span),
        };
        queue.Enqueue(new Waiter(Sender, Environment.TickCount64 + _askTimeoutMs, message) { Span = span });
        _waitingCount++;
        // The waiter keeps the copy for resends: only this first send may say the cmd_id is new (StartCommand.FreshCmdId).
        _region.Tell(start.CmdIdGenerated ? message with { FreshCmdId = true } : message, Self);
    }

    /// <summary>Gives the answer to the oldest asker still waiting: one whose Ask timed out has gone, and every answer
    /// for the same cmd_id and params means the same command.</summary>
    private void Answer(string cmdId, ICommandMessage answer)
    {
        if (!_waiting.TryGetValue(cmdId, out var queue))
        {
            return; // all of its askers timed out and were swept
        }

        var now = Environment.TickCount64;
        while (queue.TryDequeue(out var waiter))
        {
            _waitingCount--;
            if (waiter.DeadlineMs > now)
            {
                EndSpan(waiter.Span, answer);
                waiter.AskedBy.Tell(answer);
                break;
            }

            GatewaySpans.TimedOut(waiter.Span);
        }

        if (queue.Count == 0)
        {
            _waiting.Remove(cmdId);
        }
    }

    /// <summary>Forgets askers whose Ask has timed out, so a command that never answers costs nothing forever; sends a
    /// start unanswered half-way to its deadline once more, as the WebSocket connection does (a shard being handed off
    /// drops what it receives; starting the same cmd_id twice is harmless, its extra answer goes to a later asker of
    /// the same command or nowhere).</summary>
    private void OnTick()
    {
        var now = Environment.TickCount64;
        var halfMs = _askTimeoutMs / 2;
        foreach (var (cmdId, queue) in _waiting.ToList())
        {
            while (queue.TryPeek(out var expired) && expired.DeadlineMs <= now)
            {
                queue.Dequeue();
                _waitingCount--;
                GatewaySpans.TimedOut(expired.Span);
            }

            if (queue.Count == 0)
            {
                _waiting.Remove(cmdId);
                continue;
            }

            foreach (var waiter in queue)
            {
                if (!waiter.Resent && waiter.DeadlineMs - now <= halfMs)
                {
                    waiter.Resent = true;
                    _region.Tell(waiter.Message, Self);
                }
            }
        }
    }

    private static void EndSpan(System.Diagnostics.Activity? span, ICommandMessage answer)
    {
        if (answer is CommandAccepted accepted)
        {
            GatewaySpans.Accepted(span, accepted.Existing);
        }
        else if (answer is CommandRejected rejected)
        {
            GatewaySpans.Rejected(span, rejected.Code, rejected.Message);
        }
    }

    /// <summary>Start (or re-attach to) the command; answered with <see cref="CommandAccepted"/> or
    /// <see cref="CommandRejected"/>. <paramref name="TraceParent"/>: the REST request's W3C <c>traceparent</c> header,
    /// which the gateway's span then continues (docs/tracing.md).</summary>
    public sealed record Start(string CmdId, string Method, IReadOnlyDictionary<string, string> Params, string? TraceParent = null)
    {
        /// <summary>The gateway generated <see cref="CmdId"/> (no Idempotency-Key): RpcCommand.CmdIdGenerated.</summary>
        public bool CmdIdGenerated { get; init; }
    }

    /// <summary>Book-keeping owned by this actor, never sent: an asker and what was sent for it.</summary>
    private sealed class Waiter(IActorRef askedBy, long deadlineMs, StartCommand message)
    {
        public IActorRef AskedBy { get; } = askedBy;
        public long DeadlineMs { get; } = deadlineMs;
        public StartCommand Message { get; } = message;
        public bool Resent { get; set; }

        /// <summary>The gateway's span of this start (docs/tracing.md), ended with its answer; null when not traced.</summary>
        public System.Diagnostics.Activity? Span { get; init; }
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
