using System.Globalization;

namespace CallCluster.LoadGen;

/// <summary>What processing one inbound frame did to the command it belongs to.</summary>
public readonly record struct Outcome(bool Completed, long N, bool Ok, int Slot)
{
    public static readonly Outcome None = default;
}

/// <summary>
/// Pairing and ordering checks for one connection, plus its statistics. Pure logic (no I/O): the connection loop
/// calls <see cref="Begin"/> before sending a request and <see cref="OnFrame"/> for every inbound frame, so tests can
/// feed it scripted sequences.
///
/// Request ids are n = 1, 2, 3… per connection; unless the server generates them, cmd_ids are "{prefix}{n}", so a
/// reply must carry the cmd_id of the request with its id, and every notification names a command of this
/// connection. Wrong-pairing kinds: reply_unknown_id, reply_duplicate, reply_cmd_id_mismatch, reply_cmd_id_reused,
/// notification_unknown_cmd_id, notification_after_end, notification_before_reply, seq_missing, seq_duplicate,
/// seq_gap. Errors: rpc_CODE (error reply), ended_CODE (Ended failed), upstream_error_CODE (upstream Error event),
/// protocol_* (malformed frames).
/// </summary>
public sealed class ConnectionTracker
{
    private sealed class Cmd
    {
        public long N;
        public int Slot;
        public long SentTicks;
        public bool Measured;
        public bool Replied;
        public bool Failed;
        public long LastSeq;
        public string? ServerCmdId;
    }

    private readonly Dialect _dialect;
    private readonly bool _serverCmdIds;
    private readonly InboundParser _parser;
    private readonly Progress? _progress;
    private readonly Dictionary<long, Cmd> _live = new();
    private readonly Dictionary<string, long>? _byServerId;
    private readonly Stack<Cmd> _pool = new();
    private readonly Dictionary<long, string> _rpcKinds = new();
    private readonly Dictionary<long, string> _endedKinds = new();
    private long _nextN = 1;

    public ConnectionStats Stats { get; } = new();
    public string CmdIdPrefix { get; }
    public int LiveCount => _live.Count;
    public long NextN => _nextN;

    public ConnectionTracker(string cmdIdPrefix, Dialect dialect, bool serverCmdIds, Progress? progress = null)
    {
        CmdIdPrefix = cmdIdPrefix;
        _dialect = dialect;
        _serverCmdIds = serverCmdIds;
        _progress = progress;
        _parser = new InboundParser(cmdIdPrefix, keepData: dialect == Dialect.Upstream);
        if (serverCmdIds) _byServerId = new Dictionary<string, long>(StringComparer.Ordinal);
    }

    /// <summary>Registers a request about to be sent; returns its n (the JSON-RPC id, and the suffix of its cmd_id).</summary>
    public long Begin(long nowTicks, bool measured, int slot)
    {
        var c = _pool.Count > 0 ? _pool.Pop() : new Cmd();
        c.N = _nextN++;
        c.Slot = slot;
        c.SentTicks = nowTicks;
        c.Measured = measured;
        c.Replied = false;
        c.Failed = false;
        c.LastSeq = 0;
        c.ServerCmdId = null;
        _live.Add(c.N, c);
        Stats.Sent++;
        if (measured) Stats.MeasuredSent++;
        _progress?.IncSent();
        return c.N;
    }

    /// <summary>The request could not be sent: forget it (the caller records the transport error).</summary>
    public void Abandon(long n)
    {
        if (_live.Remove(n, out var c)) _pool.Push(c);
    }

    public Outcome OnFrame(ReadOnlySpan<byte> frame, long nowTicks)
    {
        var m = _parser.Parse(frame);
        switch (m.Kind)
        {
            case FrameKind.Reply:
            case FrameKind.ErrorReply:
                return OnReply(ref m, nowTicks);
            case FrameKind.Notification:
                return OnNotification(ref m, nowTicks);
            default:
                Error("protocol_unparsable");
                return Outcome.None;
        }
    }

    private Outcome OnReply(ref InboundMessage m, long now)
    {
        if (!m.HasId || !m.IdNumeric || !_live.TryGetValue(m.Id, out var c))
        {
            if (m.Kind == FrameKind.ErrorReply && !m.HasId)
            {
                // id null: the server could not read our frame at all; it pairs with nothing.
                Error(RpcKind(m.HasErrorCode ? m.ErrorCode : 0));
            }
            Wrong("reply_unknown_id");
            return Outcome.None;
        }
        if (c.Replied)
        {
            Wrong("reply_duplicate");
            return Outcome.None;
        }
        c.Replied = true;
        if (c.Measured) Stats.Accept.Record(ConnectionStats.TicksToMicros(now - c.SentTicks));

        if (m.Kind == FrameKind.ErrorReply)
        {
            Stats.Rejected++;
            Error(RpcKind(m.HasErrorCode ? m.ErrorCode : 0));
            return Complete(c, ok: false, now, ended: false);
        }
        if (!m.Started)
        {
            Stats.Rejected++;
            Error("protocol_reply_not_started");
            return Complete(c, ok: false, now, ended: false);
        }
        Stats.Accepted++;
        _progress?.IncAccepted();

        if (_serverCmdIds)
        {
            string? id = m.CmdIdKind == CmdIdKind.Foreign ? m.ForeignCmdId : m.CmdIdKind == CmdIdKind.Own ? CmdIdPrefix + m.OwnN.ToString(CultureInfo.InvariantCulture) : null;
            if (id is null)
            {
                Error("protocol_reply_without_cmd_id");
                return Complete(c, ok: false, now, ended: false);
            }
            if (!_byServerId!.TryAdd(id, c.N)) Wrong("reply_cmd_id_reused");
            else c.ServerCmdId = id;
        }
        else if (m.CmdIdKind != CmdIdKind.Own || m.OwnN != c.N)
        {
            Wrong("reply_cmd_id_mismatch");
        }
        return Outcome.None;
    }

    private Outcome OnNotification(ref InboundMessage m, long now)
    {
        Cmd? c = null;
        if (_serverCmdIds)
        {
            if (m.ForeignCmdId is not null && _byServerId!.TryGetValue(m.ForeignCmdId, out long n)) _live.TryGetValue(n, out c);
            if (c is null)
            {
                Wrong("notification_unknown_cmd_id");
                return Outcome.None;
            }
        }
        else
        {
            if (m.CmdIdKind != CmdIdKind.Own)
            {
                Wrong("notification_unknown_cmd_id");
                return Outcome.None;
            }
            if (!_live.TryGetValue(m.OwnN, out c))
            {
                Wrong(m.OwnN < _nextN ? "notification_after_end" : "notification_unknown_cmd_id");
                return Outcome.None;
            }
            if (!c.Replied) Wrong("notification_before_reply");
        }

        if (_dialect == Dialect.CallCluster)
        {
            if (!m.HasSeq) Wrong("seq_missing");
            else if (m.Seq <= c.LastSeq)
            {
                Wrong("seq_duplicate");
                return Outcome.None; // a repeated notification is not processed twice
            }
            else
            {
                if (m.Seq != c.LastSeq + 1) Wrong("seq_gap");
                c.LastSeq = m.Seq;
            }

            switch (m.Method)
            {
                case NoteMethod.Event:
                    Stats.Events++;
                    return Outcome.None;
                case NoteMethod.Ended:
                    if (m.Status == EndStatus.Ok) return Complete(c, ok: true, now, ended: true);
                    if (m.Status == EndStatus.Failed) Error(EndedKind(m.HasErrorCode ? m.ErrorCode : 0));
                    else Error("protocol_ended_bad_status");
                    return Complete(c, ok: false, now, ended: true);
                default:
                    Error("protocol_unknown_notification");
                    return Outcome.None;
            }
        }

        // Upstream: method = command name (or Event/Ended/Error per the old docs); params.event names the step.
        bool isEnded = m.Method == NoteMethod.Ended || m.Event == NoteMethod.Ended;
        bool isError = m.Method == NoteMethod.Error || m.Event == NoteMethod.Error;
        if (m.HasSeq)
        {
            if (m.Seq <= c.LastSeq) { Wrong("seq_duplicate"); return Outcome.None; }
            if (m.Seq != c.LastSeq + 1) Wrong("seq_gap");
            c.LastSeq = m.Seq;
        }
        if (isError)
        {
            c.Failed = true;
            Error(UpstreamErrorKind(m.Data));
            return Outcome.None;
        }
        if (isEnded)
        {
            bool ok = !c.Failed && m.Status != EndStatus.Failed;
            if (m.Status == EndStatus.Failed && !c.Failed) Error(EndedKind(m.HasErrorCode ? m.ErrorCode : 0));
            return Complete(c, ok, now, ended: true);
        }
        Stats.Events++;
        return Outcome.None;
    }

    private Outcome Complete(Cmd c, bool ok, long now, bool ended)
    {
        _live.Remove(c.N);
        if (c.ServerCmdId is not null) _byServerId!.Remove(c.ServerCmdId);
        if (ended)
        {
            if (ok) Stats.EndedOk++;
            else Stats.EndedFailed++;
            _progress?.IncEnded();
            if (c.Measured) Stats.Flow.Record(ConnectionStats.TicksToMicros(now - c.SentTicks));
        }
        if (c.Measured)
        {
            Stats.MeasuredCompleted++;
            if (now > Stats.LastMeasuredCompletionTicks) Stats.LastMeasuredCompletionTicks = now;
        }
        _progress?.IncCompleted();
        var outcome = new Outcome(true, c.N, ok, c.Slot);
        _pool.Push(c);
        return outcome;
    }

    /// <summary>The run stopped: commands still live are never_ended (replied) or never_replied.</summary>
    public void Finish()
    {
        foreach (var c in _live.Values)
        {
            if (c.Replied) Stats.NeverEnded++;
            else Stats.NeverReplied++;
        }
        _live.Clear();
        _byServerId?.Clear();
    }

    public void Error(string kind)
    {
        Stats.AddError(kind);
        _progress?.IncErrors();
    }

    private void Wrong(string kind) => Stats.AddWrong(kind);

    private string RpcKind(long code) => Cached(_rpcKinds, code, "rpc_");
    private string EndedKind(long code) => Cached(_endedKinds, code, "ended_");

    private static string Cached(Dictionary<long, string> cache, long code, string prefix)
    {
        if (!cache.TryGetValue(code, out var s))
        {
            s = prefix + code.ToString(CultureInfo.InvariantCulture);
            if (cache.Count < 64) cache[code] = s;
        }
        return s;
    }

    /// <summary>"404 Dialog not found" → upstream_error_404; anything else → upstream_error.</summary>
    internal static string UpstreamErrorKind(string? data)
    {
        if (string.IsNullOrEmpty(data)) return "upstream_error";
        int i = 0;
        while (i < data.Length && i < 6 && (char.IsAsciiDigit(data[i]) || (i == 0 && data[i] == '-'))) i++;
        return i > 0 && (i == data.Length || data[i] == ' ') && !(i == 1 && data[0] == '-') ? "upstream_error_" + data[..i] : "upstream_error";
    }
}
