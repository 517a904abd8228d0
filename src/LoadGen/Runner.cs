using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;

namespace CallCluster.LoadGen;

/// <summary>The final summary: the JSON line plus the merged statistics (for tests).</summary>
public sealed record RunResult(string Json, ConnectionStats Stats, int ExitCode);

/// <summary>Set-up facts reported in the summary.</summary>
public sealed class SetupInfo
{
    public string CallsMode = "none";
    public int CallsRequested;
    public int CallsCreated;
    public int MiErrors;
    public int MiTimeouts;
    public string? MiFirstError;
    public double SetupSeconds;
    public double SettleSeconds;
    public int ConnectFailures;
    public string? ConnectFirstError;
    public int CallsHungUp;
}

/// <summary>Runs one load: set-up (pre-created calls), connections, the timed loops, progress, summary.</summary>
public sealed class Runner
{
    private readonly LoadGenOptions _o;
    private readonly TextWriter? _log;
    private readonly RunControl _control = new();

    public Runner(LoadGenOptions options, TextWriter? log)
    {
        _o = options;
        _log = log;
    }

    /// <summary>Ctrl-C: stop issuing, let the outstanding commands finish within the grace period.</summary>
    public void RequestStop() => _control.RequestStop();

    public static int DefaultCalls(LoadGenOptions o)
    {
        var mix = o.Mix;
        if (!mix.NeedsCalls) return 0;
        long n;
        if (o.Count is long count)
        {
            int consuming = mix.Weight(OpKind.End) + mix.Weight(OpKind.Transfer);
            n = (long)Math.Ceiling((double)count * consuming / mix.TotalWeight);
            if (mix.Weight(OpKind.Hold) > 0) n += (long)o.Connections * o.InFlight;
            n += WarmupCalls(o);
        }
        else n = 20_000;
        return (int)Math.Min(n, LoadGenOptions.MaxCalls);
    }

    /// <summary>Calls the warm-up may consume in all (each connection gets an equal share; when its share is used
    /// up, the connection pauses until the measured part starts): 4 per in-flight slot, at least 100.</summary>
    public static int WarmupCalls(LoadGenOptions o) =>
        o.WarmupSeconds > 0 && o.Mix.NeedsCalls ? (int)Math.Min(20_000, Math.Max(100L, 4L * o.Connections * o.InFlight)) : 0;

    public static double AutoSettleSeconds(int callsCreated) => callsCreated == 0 ? 0 : Math.Min(30, 1 + callsCreated / 1000.0);

    public async Task<RunResult> RunAsync(CancellationToken external)
    {
        string runId = Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        var setup = new SetupInfo();
        var pools = new Queue<string>[_o.Connections];
        for (int i = 0; i < pools.Length; i++) pools[i] = new Queue<string>();
        bool synthetic = false;

        // 1. Calls for end/hold/transfer, before timing starts.
        long setupStart = Stopwatch.GetTimestamp();
        if (_o.Mix.NeedsCalls)
        {
            if (_o.Mi is null)
            {
                synthetic = true;
                setup.CallsMode = "synthetic";
                Log("no --mi: end/hold/transfer target synthetic Call-IDs the proxy does not know (expect -32001)");
            }
            else
            {
                setup.CallsMode = "precreated";
                setup.CallsRequested = _o.Calls ?? DefaultCalls(_o);
                Log($"creating {setup.CallsRequested} calls through sim_call on {_o.Mi} (concurrency {_o.MiConcurrency})...");
                using var mi = new MiClient(_o.Mi);
                using var setupCts = CancellationTokenSource.CreateLinkedTokenSource(external);
                setupCts.CancelAfter(TimeSpan.FromSeconds(Math.Max(60, setup.CallsRequested / 200.0)));
                try
                {
                    var r = await mi.CallManyAsync(setup.CallsRequested, "sim_call", (i, w) =>
                    {
                        w.WriteString("from", $"sip:lg{runId}x{i}@127.0.0.1");
                        w.WriteString("to", $"sip:lg{runId}y{i}@127.0.0.1");
                    }, _o.MiConcurrency, TimeSpan.FromSeconds(5), setupCts.Token);
                    int k = 0;
                    foreach (var callId in r.Results)
                    {
                        if (string.IsNullOrEmpty(callId)) continue;
                        pools[k++ % pools.Length].Enqueue(callId);
                    }
                    setup.CallsCreated = k;
                    setup.MiErrors = r.Errors;
                    setup.MiTimeouts = r.Timeouts;
                    setup.MiFirstError = r.FirstError;
                }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or System.Net.Sockets.SocketException)
                {
                    setup.MiFirstError = e.Message;
                    Log("call set-up failed: " + e.Message);
                }
                Log($"created {setup.CallsCreated} calls ({setup.MiErrors} errors, {setup.MiTimeouts} timeouts)");
            }
        }
        setup.SetupSeconds = Stopwatch.GetElapsedTime(setupStart).TotalSeconds;
        if (setup.CallsCreated > 0)
        {
            setup.SettleSeconds = _o.SettleSeconds ?? AutoSettleSeconds(setup.CallsCreated);
            Log($"settling {setup.SettleSeconds:F1} s (the server digests the new calls' events)");
            await Task.Delay(TimeSpan.FromSeconds(setup.SettleSeconds), external);
        }

        // 2. Connections, all opened before timing starts.
        var progress = new Progress();
        var sockets = new ClientWebSocket?[_o.Connections];
        await Parallel.ForEachAsync(Enumerable.Range(0, _o.Connections), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = external }, async (i, ct) =>
        {
            var ws = new ClientWebSocket();
            ws.Options.KeepAliveInterval = TimeSpan.Zero;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await ws.ConnectAsync(_o.Url, cts.Token);
                sockets[i] = ws;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpRequestException)
            {
                ws.Dispose();
                lock (setup)
                {
                    setup.ConnectFailures++;
                    setup.ConnectFirstError ??= e.Message;
                }
            }
        });
        if (setup.ConnectFailures > 0) Log($"{setup.ConnectFailures} of {_o.Connections} connections failed: {setup.ConnectFirstError}");

        // 3. The timed run.
        var cpuAtStart = CpuSnapshot.Take(_o.CpuPid);
        long start = Stopwatch.GetTimestamp();
        double issueSeconds = _o.DurationSeconds is double d ? Math.Min(_o.MaxSeconds, _o.WarmupSeconds + d) : _o.MaxSeconds;
        _control.StartTicks = start;
        _control.MeasureStartTicks = start + (long)(_o.WarmupSeconds * Stopwatch.Frequency);
        _control.IssueStopTicks = start + (long)(issueSeconds * Stopwatch.Frequency);
        _control.Counted = _o.Count is not null;
        if (_o.Count is long c) _control.RemainingOps = c;

        using var hard = CancellationTokenSource.CreateLinkedTokenSource(external);
        hard.CancelAfter(TimeSpan.FromSeconds(issueSeconds + _o.GraceSeconds + 30));

        var loops = new List<ConnectionLoop>();
        var tasks = new List<Task>();
        for (int i = 0; i < _o.Connections; i++)
        {
            if (sockets[i] is not { } ws) continue;
            int warmupShare = WarmupCalls(_o) / _o.Connections + (i < WarmupCalls(_o) % _o.Connections ? 1 : 0);
            var loop = new ConnectionLoop(i, runId, _o, _control, pools[i], synthetic, progress, warmupShare);
            loops.Add(loop);
            tasks.Add(Task.Run(() => loop.RunAsync(ws, hard.Token)));
        }
        var all = Task.WhenAll(tasks);
        if (_log is not null) await ReportProgressAsync(all, progress, start);
        await all;
        long end = Stopwatch.GetTimestamp();
        var cpuAtEnd = CpuSnapshot.Take(_o.CpuPid);

        var stats = new ConnectionStats();
        foreach (var l in loops) stats.Merge(l.Stats);
        if (setup.ConnectFailures > 0) stats.AddError("transport_connect_failed", setup.ConnectFailures);

        // 4. Clean-up: hang up calls the run did not use (bounded; not timed).
        if (_o.Mi is not null && !synthetic)
        {
            var leftovers = loops.SelectMany(l => l.LeftoverCalls).ToList();
            for (int i = 0; i < _o.Connections; i++)
                if (sockets[i] is null) leftovers.AddRange(pools[i]);
            if (leftovers.Count > 0)
            {
                using var mi = new MiClient(_o.Mi);
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(external);
                cts.CancelAfter(TimeSpan.FromSeconds(30));
                try
                {
                    var r = await mi.CallManyAsync(leftovers.Count, "sim_hangup", (i, w) => w.WriteString("callid", leftovers[i]), _o.MiConcurrency, TimeSpan.FromSeconds(3), cts.Token);
                    setup.CallsHungUp = r.Succeeded;
                }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or System.Net.Sockets.SocketException)
                {
                    Log("clean-up failed: " + e.Message);
                }
            }
        }

        var cpu = CpuSnapshot.Between(cpuAtStart, cpuAtEnd, stats.EndedOk + stats.EndedFailed, _o.CpuPid is not null,
            Stopwatch.GetElapsedTime(start, end).TotalSeconds);
        string json = Summary.Write(_o, runId, setup, stats, start, _control.MeasureStartTicks, end, cpu);
        int exit = loops.Count == 0 ? 1 : 0;
        return new RunResult(json, stats, exit);
    }

    private async Task ReportProgressAsync(Task all, Progress p, long start)
    {
        long lastCompleted = 0;
        long lastTicks = start;
        while (true)
        {
            var finished = await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(1))) == all; // one progress line a second
            long now = Stopwatch.GetTimestamp();
            long completed = Interlocked.Read(ref p.Completed);
            double dt = Stopwatch.GetElapsedTime(lastTicks, now).TotalSeconds;
            double rate = dt > 0 ? (completed - lastCompleted) / dt : 0;
            lastCompleted = completed;
            lastTicks = now;
            string phase = now < _control.MeasureStartTicks ? " (warm-up)" : "";
            Log(string.Create(CultureInfo.InvariantCulture,
                $"[{Stopwatch.GetElapsedTime(start, now).TotalSeconds,6:F1}s] sent={Interlocked.Read(ref p.Sent)} accepted={Interlocked.Read(ref p.Accepted)} ended={Interlocked.Read(ref p.Ended)} errors={Interlocked.Read(ref p.Errors)} rate={rate:F0}/s{phase}"));
            if (finished) return;
        }
    }

    private void Log(string line) => _log?.WriteLine(line);
}
