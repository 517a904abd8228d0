using System.Diagnostics;
using System.Net.WebSockets;

namespace CallCluster.LoadGen;

/// <summary>Times and budget shared (read-only, except the Interlocked budget and the stop flag) by all loops.</summary>
public sealed class RunControl
{
    public long StartTicks;
    public long MeasureStartTicks;
    public long IssueStopTicks;
    /// <summary>Operations left to start after warm-up (long.MaxValue when only --duration bounds the run).</summary>
    public long RemainingOps = long.MaxValue;
    public bool Counted;
    private volatile bool _stopRequested;

    public void RequestStop() => _stopRequested = true;

    /// <summary>May another operation start now? Warm-up operations are free; measured ones take from the budget.</summary>
    public bool TryClaim(long now, out bool measured)
    {
        measured = now >= MeasureStartTicks;
        if (_stopRequested || now >= IssueStopTicks) return false;
        if (!measured || !Counted) return true;
        return Interlocked.Decrement(ref RemainingOps) >= 0;
    }

    public void GiveBack(bool measured)
    {
        if (measured && Counted) Interlocked.Increment(ref RemainingOps);
    }
}

/// <summary>
/// One connection: one async loop that keeps up to --in-flight operations running, sends each operation's next
/// request when the previous one ended, and reads every inbound frame. All its state lives here (no locks).
/// </summary>
public sealed class ConnectionLoop
{
    private const int MaxFrameBytes = 1 << 20;

    private readonly LoadGenOptions _options;
    private readonly RunControl _control;
    private readonly Queue<string> _calls;
    private readonly bool _syntheticCalls;
    private readonly RequestWriter _writer;
    private readonly string _syntheticPrefix;
    private readonly OpKind[] _schedule;
    private int _schedulePos;
    private byte[] _frame = new byte[16 * 1024];

    // Per-slot operation state.
    private readonly OpKind[] _kind;
    private readonly int[] _step;
    private readonly string?[] _call;
    private readonly bool[] _measured;
    private readonly Stack<int> _free;

    public ConnectionTracker Tracker { get; }
    public ConnectionStats Stats => Tracker.Stats;

    private int _warmupCallsLeft;

    private enum Fill { Open, Paused, Stopped }

    public ConnectionLoop(int index, string runId, LoadGenOptions options, RunControl control, Queue<string> calls, bool syntheticCalls, Progress? progress, int warmupCalls = int.MaxValue)
    {
        _warmupCallsLeft = warmupCalls;
        _options = options;
        _control = control;
        _calls = calls;
        _syntheticCalls = syntheticCalls;
        string prefix = $"lg-{runId}-{index}-";
        Tracker = new ConnectionTracker(prefix, options.Dialect, options.ServerCmdIds, progress);
        _writer = new RequestWriter(prefix, !options.ServerCmdIds, $"{runId}c{index}");
        _syntheticPrefix = $"lg-synthetic-{runId}-{index}-";
        _schedule = options.Mix.Schedule;
        _schedulePos = index % _schedule.Length;
        int n = options.InFlight;
        _kind = new OpKind[n];
        _step = new int[n];
        _call = new string?[n];
        _measured = new bool[n];
        _free = new Stack<int>(n);
        for (int i = n - 1; i >= 0; i--) _free.Push(i);
    }

    public async Task RunAsync(ClientWebSocket ws, CancellationToken hardStop)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(hardStop);
        var grace = TimeSpan.FromSeconds(_options.GraceSeconds);
        var untilStop = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _control.IssueStopTicks);
        cts.CancelAfter((untilStop > TimeSpan.Zero ? untilStop : TimeSpan.Zero) + grace);
        var ct = cts.Token;
        bool issuing = true;
        try
        {
            while (true)
            {
                if (issuing)
                {
                    var fill = await FillAsync(ws, ct);
                    if (fill == Fill.Stopped)
                    {
                        issuing = false;
                        cts.CancelAfter(grace);
                    }
                    else if (fill == Fill.Paused && Tracker.LiveCount == 0)
                    {
                        // warm-up share of calls used up: idle until the measured part starts
                        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _control.MeasureStartTicks);
                        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
                        continue;
                    }
                }
                if (Tracker.LiveCount == 0)
                {
                    if (!issuing) break;
                    continue;
                }

                int len = await ReceiveFrameAsync(ws, ct);
                if (len < 0)
                {
                    Tracker.Error("transport_closed_by_server");
                    break;
                }
                long now = Stopwatch.GetTimestamp();
                var outcome = Tracker.OnFrame(_frame.AsSpan(0, len), now);
                if (outcome.Completed) await OnCompletedAsync(ws, outcome, now, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is WebSocketException && ct.IsCancellationRequested))
        {
            // grace expired (or hard stop): whatever is still live is counted by Finish
        }
        catch (WebSocketException e)
        {
            Tracker.Error("transport_" + e.WebSocketErrorCode.ToString().ToLowerInvariant());
        }
        catch (IOException)
        {
            Tracker.Error("transport_io");
        }
        catch (FrameTooLargeException)
        {
            Tracker.Error("transport_frame_too_large");
        }
        catch (InvalidOperationException)
        {
            // e.g. the socket was aborted between two operations: report it, never lose the summary
            Tracker.Error("transport_invalid_state");
        }
        finally
        {
            Tracker.Finish();
        }
        await CloseQuietlyAsync(ws);
    }

    /// <summary>Starts operations while slots are free; Stopped once this connection may start no more, Paused when
    /// warm-up may not take more calls.</summary>
    private async ValueTask<Fill> FillAsync(ClientWebSocket ws, CancellationToken ct)
    {
        while (_free.Count > 0)
        {
            long now = Stopwatch.GetTimestamp();
            if (!_control.TryClaim(now, out bool measured)) return Fill.Stopped;
            if (!TryPickKind(out var kind))
            {
                _control.GiveBack(measured);
                return Fill.Stopped;
            }
            if (!measured && kind != OpKind.Start && !_syntheticCalls)
            {
                if (_warmupCallsLeft <= 0)
                {
                    _schedulePos = _schedulePos == 0 ? _schedule.Length - 1 : _schedulePos - 1; // retry this kind later
                    return Fill.Paused;
                }
                _warmupCallsLeft--;
            }
            int slot = _free.Pop();
            _kind[slot] = kind;
            _step[slot] = 0;
            _measured[slot] = measured;
            _call[slot] = kind == OpKind.Start ? null
                : _calls.Count > 0 ? _calls.Dequeue()
                : _syntheticPrefix + Tracker.NextN.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Stats.OpsStarted++;
            await SendStepAsync(ws, slot, now, ct);
        }
        return Fill.Open;
    }

    private bool TryPickKind(out OpKind kind)
    {
        for (int tries = 0; tries < _schedule.Length; tries++)
        {
            kind = _schedule[_schedulePos];
            _schedulePos = _schedulePos + 1 == _schedule.Length ? 0 : _schedulePos + 1;
            if (kind == OpKind.Start || _syntheticCalls || _calls.Count > 0) return true;
            Stats.SkippedNoCalls++;
        }
        kind = default;
        return false;
    }

    private async ValueTask SendStepAsync(ClientWebSocket ws, int slot, long now, CancellationToken ct)
    {
        long n = Tracker.Begin(now, _measured[slot], slot);
        var payload = _writer.Write(n, _kind[slot], _step[slot], _call[slot]);
        try
        {
            await ws.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        catch
        {
            Tracker.Abandon(n);
            throw;
        }
    }

    private async ValueTask OnCompletedAsync(ClientWebSocket ws, Outcome outcome, long now, CancellationToken ct)
    {
        int slot = outcome.Slot;
        if (outcome.Ok && _step[slot] + 1 < RequestWriter.Steps(_kind[slot]))
        {
            _step[slot]++;
            await SendStepAsync(ws, slot, now, ct);
            return;
        }
        Stats.OpsCompleted++;
        if (outcome.Ok)
        {
            Stats.OpsOk++;
            if (_kind[slot] == OpKind.Hold && _call[slot] is { } call && !_syntheticCalls) _calls.Enqueue(call); // the call lives on
        }
        if (_measured[slot]) Stats.MeasuredOpsCompleted++;
        _call[slot] = null;
        _free.Push(slot);
    }

    private async ValueTask<int> ReceiveFrameAsync(ClientWebSocket ws, CancellationToken ct)
    {
        int len = 0;
        while (true)
        {
            if (len == _frame.Length)
            {
                if (_frame.Length >= MaxFrameBytes) throw new FrameTooLargeException();
                Array.Resize(ref _frame, _frame.Length * 2);
            }
            var r = await ws.ReceiveAsync(_frame.AsMemory(len), ct);
            if (r.MessageType == WebSocketMessageType.Close) return -1;
            len += r.Count;
            if (r.EndOfMessage) return len;
        }
    }

    /// <summary>Remaining calls of this connection's pool (not ended by the run).</summary>
    public IEnumerable<string> LeftoverCalls => _syntheticCalls ? [] : _calls;

    private static async Task CloseQuietlyAsync(ClientWebSocket ws)
    {
        try
        {
            if (ws.State == WebSocketState.Open)
            {
                using var t = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", t.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the server went away first: nothing to do
        }
        ws.Abort();
        ws.Dispose();
    }

    private sealed class FrameTooLargeException : Exception;
}
