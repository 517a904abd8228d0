using CallCluster.Hosting.Metrics;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;

namespace CallCluster.Node.OpenSips;

/// <summary>Owns one connected UDP socket to the MI endpoint: its own id space, pending table and timeouts.
/// Replies are matched by id only; the receive loop runs off the actor thread and Tells each datagram.</summary>
internal sealed class MiSocketActor : ReceiveActor, IWithTimers
{
    private const int ReceiveBufferSize = 65536;

    private readonly int _index;
    private readonly MiSettings _settings;
    private readonly Dictionary<int, MiPending> _pending = new();
    private readonly MiExpired _expired = new();

    /// <summary>Id of an earlier attempt of a retried call → the id of its attempt now pending. The same request sent
    /// again, so its earlier attempt's reply is as good an answer; ids are unique per socket, so it cannot be another's.</summary>
    private readonly Dictionary<int, int> _earlier = new();
    private readonly MiRequestWriter _writer = new();
    private readonly MiSocketCompleted _completed;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RateLimitedLog _malformedLog;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _socket;
    private int _nextId;
    private long _sequence;
    private long _sent, _replied, _timedOut, _late, _malformed;

    public ITimerScheduler Timers { get; set; } = null!;

    public MiSocketActor(int index, MiSettings settings)
    {
        _index = index;
        _settings = settings;
        _nextId = settings.FirstRequestId is >= 1 ? settings.FirstRequestId : 1;
        _completed = new MiSocketCompleted(index);
        _malformedLog = new RateLimitedLog(_log, TimeSpan.FromSeconds(1));
        Receive<MiCall>(Send);
        Receive<MiDatagram>(d => OnDatagram(d.Bytes));
        Receive<MiSweep>(_ => Sweep());
    }

    protected override void PreStart()
    {
        var socket = new Socket(_settings.Target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Room for reply bursts while this actor is busy (best effort; the kernel caps it at rmem_max).
        socket.ReceiveBufferSize = _settings.SocketBufferBytes;
        socket.SendBufferSize = _settings.SocketBufferBytes;
        // Connected: the kernel drops datagrams from anyone but the MI endpoint, and Send needs no address.
        socket.Connect(_settings.Target);
        _socket = socket;
        _ = ReceiveLoop(socket, Self, _stop.Token);
        Timers.StartPeriodicTimer("sweep", MiSweep.Instance, _settings.SweepInterval);
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        Context.Parent.Tell(new MiSocketReset(_index));
    }

    protected override void PostStop()
    {
        _stop.Cancel();
        _socket?.Dispose();
        // Keep the promise of exactly one outcome per call.
        foreach (var p in _pending.Values)
        {
            var stopped = new MiFailure(p.Call.Tag, p.Call.Method, MiFailure.LocalReject, "MI socket stopped", null);
            MiTracing.Finish(p.Span, stopped);
            p.ReplyTo.Tell(stopped);
        }
        _pending.Clear();
        _stop.Dispose();
    }

    private void Send(MiCall call)
    {
        var replyTo = Sender;
        var span = MiTracing.Start(call);
        var invalid = MiRequestWriter.Validate(call);
        if (invalid is not null)
        {
            Reject(replyTo, call, invalid, span);
            return;
        }
        var retries = call.Retries ?? (MiMethods.IsIdempotent(call.Method) ? _settings.Retries : 0);
        var timeout = call.Timeout ?? (MiMethods.IsInvite(call) ? _settings.InviteTimeout : _settings.RequestTimeout);
        SendAttempt(replyTo, call, timeout, Math.Max(0, retries), attempt: 1, earlierIds: [], span);
    }

    /// <summary>Sends one attempt under a fresh id: a reply to an earlier attempt carries the earlier id, which is no
    /// longer pending, so it can never complete this one (or anyone else's request).</summary>
    private void SendAttempt(IActorRef replyTo, MiCall call, TimeSpan timeout, int retriesLeft, int attempt, int[] earlierIds,
        Activity? span)
    {
        var id = NextId();
        var datagram = _writer.Write(id, call);
        if (datagram is null)
        {
            Reject(replyTo, call, $"MI request larger than {MiRequestWriter.MaxDatagram} bytes", span);
            return;
        }
        try
        {
            _socket!.Send(datagram.Value.Span);
        }
        catch (SocketException e)
        {
            Reject(replyTo, call, "MI send failed: " + e.SocketErrorCode, span);
            return;
        }
        _sent++;
        CallClusterMetrics.MiRequestSent(call.Method);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        _pending[id] = new MiPending(id, _sequence++, replyTo, call, timeout, deadline, MiMethods.IsAsyncUac(call.Method),
            retriesLeft, attempt, earlierIds, span);
        foreach (var earlier in earlierIds) _earlier[earlier] = id;
    }

    private void Reject(IActorRef replyTo, MiCall call, string why, Activity? span)
    {
        var rejected = new MiFailure(call.Tag, call.Method ?? "", MiFailure.LocalReject, why, null);
        MiTracing.Finish(span, rejected);
        replyTo.Tell(rejected);
        Context.Parent.Tell(_completed);
    }

    private int NextId() => MiIds.Next(ref _nextId, _pending);

    private void OnDatagram(byte[] bytes)
    {
        var reply = MiReplyParser.Parse(bytes);
        switch (reply.Kind)
        {
            case MiReplyKind.Malformed:
                _malformed++;
                _malformedLog.Warning("Malformed MI reply ({0} bytes): {1}", bytes.Length, reply.Message);
                return;
            case MiReplyKind.PlainText:
                OnPlainText(reply);
                return;
        }
        if (!_pending.TryGetValue(reply.Id, out var pending)
            && !(_earlier.TryGetValue(reply.Id, out var current) && _pending.TryGetValue(current, out pending)))
        {
            // Late (after a timeout) or a duplicate of an answered id: harmless, just counted. Ids are never reused
            // while a reply may still come (1..2^31-1, then wrapping), so it cannot match a newer request.
            _expired.Answered(reply.Id);
            _late++;
            FaultMetrics.MiLateReply();
            _log.Debug("MI socket {0}: reply for id {1} which is not pending", _index, reply.Id);
            return;
        }
        if (pending.Id != reply.Id) _expired.Answered(reply.Id); // an earlier attempt's reply, late but the same request's
        if (reply.Kind == MiReplyKind.Success && MiMethods.IsUacDlg(pending.Call.Method) && IsProvisional(reply.Value))
            return; // pass_provisional_replies: a 1xx with the same id; the final reply follows.
        MiOutcome outcome = reply.Kind == MiReplyKind.Success
            ? new MiSuccess(pending.Call.Tag, pending.Call.Method, reply.Value) { Attempts = pending.Attempt }
            : new MiFailure(pending.Call.Tag, pending.Call.Method, reply.Code, reply.Message ?? "", reply.Data) { Attempts = pending.Attempt };
        Complete(pending, outcome);
        _replied++;
    }

    /// <summary>An id-less error (400 Parse_error, 500 Internal error) comes from the synchronous MI path,
    /// which answers requests in order: blame the oldest outstanding one that is not an async UAC request.</summary>
    private void OnPlainText(MiReply reply)
    {
        MiPending? oldest = null;
        foreach (var p in _pending.Values)
            if (!p.IsAsyncUac && (oldest is null || p.Sequence < oldest.Sequence))
                oldest = p;
        // The synchronous path answers in order: if a request older than `oldest` timed out and its answer has not come,
        // this text is that late answer, not oldest's. Blaming oldest would fail the wrong command.
        if (oldest is not null && _expired.ClaimOlderThan(oldest.Sequence, Stopwatch.GetTimestamp()))
        {
            _late++;
            FaultMetrics.MiLateReply();
            _log.Debug("MI socket {0}: plain-text reply '{1} {2}' taken as the late answer of a timed-out request", _index, reply.Code, reply.Message);
            return;
        }
        if (oldest is null)
        {
            _late++;
            FaultMetrics.MiLateReply();
            _log.Debug("MI socket {0}: plain-text reply '{1} {2}' with nothing outstanding", _index, reply.Code, reply.Message);
            return;
        }
        Complete(oldest, new MiFailure(oldest.Call.Tag, oldest.Call.Method, reply.Code, reply.Message ?? "", null) { Attempts = oldest.Attempt });
        _replied++;
    }

    private static bool IsProvisional(JsonElement result) =>
        result.ValueKind == JsonValueKind.Object
        && result.TryGetProperty("Status", out var status)
        && status.ValueKind == JsonValueKind.String
        && status.GetString() is ['1', ..];

    private void Sweep()
    {
        var now = Stopwatch.GetTimestamp();
        List<MiPending>? retry = null;
        foreach (var p in _pending.Values)
        {
            if (now < p.Deadline) continue;
            _pending.Remove(p.Id); // allowed while enumerating a Dictionary on .NET Core 3+
            if (!p.IsAsyncUac) _expired.Add(p.Id, p.Sequence, now + LateWindowTicks(p.Timeout));
            CallClusterMetrics.MiTimedOut(p.Call.Method);
            _timedOut++;
            if (p.RetriesLeft > 0)
            {
                (retry ??= []).Add(p);
                continue;
            }
            ForgetEarlier(p);
            var timedOut = new MiTimeout(p.Call.Tag, p.Call.Method, p.Timeout) { Attempts = p.Attempt };
            MiTracing.Finish(p.Span, timedOut);
            p.ReplyTo.Tell(timedOut);
            Context.Parent.Tell(_completed);
        }
        if (retry is not null)
        {
            foreach (var p in retry)
            {
                FaultMetrics.MiRetried(p.Call.Method);
                _log.Debug("MI socket {0}: {1} id {2} got no reply within {3}; sending attempt {4}", _index, p.Call.Method, p.Id, p.Timeout, p.Attempt + 1);
                MiTracing.Retried(p.Span, p.Attempt + 1);
                SendAttempt(p.ReplyTo, p.Call, p.Timeout, p.RetriesLeft - 1, p.Attempt + 1, [.. p.EarlierIds, p.Id], p.Span);
            }
        }
        _expired.Prune(now);
        Context.Parent.Tell(new MiSocketStats(_index, _sent, _replied, _timedOut, _late, _malformed));
    }

    /// <summary>How long a timed-out request's answer is still expected: two more of its timeouts, at least 10 s.</summary>
    private static long LateWindowTicks(TimeSpan timeout) =>
        (long)(Math.Max(10, 2 * timeout.TotalSeconds) * Stopwatch.Frequency);

    private void ForgetEarlier(MiPending pending)
    {
        foreach (var earlier in pending.EarlierIds) _earlier.Remove(earlier);
    }

    private void Complete(MiPending pending, MiOutcome outcome)
    {
        _pending.Remove(pending.Id);
        ForgetEarlier(pending);
        var sentAt = pending.Deadline - (long)(pending.Timeout.TotalSeconds * Stopwatch.Frequency);
        CallClusterMetrics.MiReplyReceived(pending.Call.Method, Stopwatch.GetElapsedTime(sentAt), outcome is MiFailure);
        MiTracing.Finish(pending.Span, outcome);
        pending.ReplyTo.Tell(outcome);
        Context.Parent.Tell(_completed);
    }

    private static async Task ReceiveLoop(Socket socket, IActorRef self, CancellationToken stop)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize);
        while (!stop.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                continue; // ICMP port unreachable: OpenSIPS is down; pending requests will time out.
            }
            catch (SocketException)
            {
                try { await Task.Delay(100, stop).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                continue;
            }
            self.Tell(new MiDatagram(buffer.AsSpan(0, received).ToArray()));
        }
    }
}
