using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace CallCluster.LoadGen;

/// <summary>Writes the one-line JSON summary.</summary>
public static class Summary
{
    public static string Write(LoadGenOptions o, string runId, SetupInfo setup, ConnectionStats s, long startTicks, long measureStartTicks, long endTicks,
        CpuUse? cpu = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            double elapsed = Stopwatch.GetElapsedTime(startTicks, endTicks).TotalSeconds;
            double measured = s.LastMeasuredCompletionTicks > measureStartTicks
                ? Stopwatch.GetElapsedTime(measureStartTicks, s.LastMeasuredCompletionTicks).TotalSeconds
                : 0;

            w.WriteStartObject();
            w.WriteString("tool", "callcluster-loadgen");
            w.WriteString("run_id", runId);
            w.WriteNumber("commands_per_s", Round(measured > 0 ? s.MeasuredCompleted / measured : 0, 1));
            w.WriteNumber("ops_per_s", Round(measured > 0 ? s.MeasuredOpsCompleted / measured : 0, 1));
            WriteLatency(w, "accept_latency_ms", s.Accept, withP95: true);
            WriteLatency(w, "flow_latency_ms", s.Flow, withP95: false);
            w.WriteNumber("errors_total", s.ErrorTotal);
            WriteCounts(w, "errors_by_kind", s.Errors);
            w.WriteNumber("never_ended", s.NeverEnded);
            w.WriteNumber("never_replied", s.NeverReplied);
            w.WriteNumber("wrong_pairing", s.WrongPairingTotal);
            WriteCounts(w, "wrong_pairing_by_kind", s.WrongPairing);

            w.WriteStartObject("commands");
            w.WriteNumber("sent", s.Sent);
            w.WriteNumber("accepted", s.Accepted);
            w.WriteNumber("rejected", s.Rejected);
            w.WriteNumber("ended_ok", s.EndedOk);
            w.WriteNumber("ended_failed", s.EndedFailed);
            w.WriteNumber("events", s.Events);
            w.WriteNumber("measured_sent", s.MeasuredSent);
            w.WriteNumber("measured_completed", s.MeasuredCompleted);
            w.WriteEndObject();

            w.WriteStartObject("ops");
            w.WriteNumber("started", s.OpsStarted);
            w.WriteNumber("completed", s.OpsCompleted);
            w.WriteNumber("ok", s.OpsOk);
            w.WriteNumber("measured_completed", s.MeasuredOpsCompleted);
            w.WriteNumber("skipped_no_call", s.SkippedNoCalls);
            w.WriteEndObject();

            w.WriteNumber("elapsed_s", Round(elapsed, 3));
            w.WriteNumber("measured_s", Round(measured, 3));

            if (cpu is not null)
            {
                // The whole timed run (warm-up and grace included), per command ended in it.
                w.WriteStartObject("cpu");
                if (cpu.ServerMsPerCommand is double server) w.WriteNumber("server_ms_per_cmd", Round(server, 3)); else w.WriteNull("server_ms_per_cmd");
                w.WriteNumber("loadgen_ms_per_cmd", Round(cpu.LoadGenMsPerCommand, 3));
                w.WriteNumber("machine_ms_per_cmd", Round(cpu.MachineMsPerCommand, 3));
                w.WriteNumber("busy_cores", Round(cpu.BusyCores, 2));
                w.WriteNumber("cores", cpu.Cores);
                w.WriteNumber("seconds", Round(cpu.Seconds, 3));
                w.WriteEndObject();
            }

            w.WriteStartObject("setup");
            w.WriteString("calls", setup.CallsMode);
            w.WriteNumber("calls_requested", setup.CallsRequested);
            w.WriteNumber("calls_created", setup.CallsCreated);
            w.WriteNumber("mi_errors", setup.MiErrors);
            w.WriteNumber("mi_timeouts", setup.MiTimeouts);
            if (setup.MiFirstError is not null) w.WriteString("mi_first_error", setup.MiFirstError);
            w.WriteNumber("setup_s", Round(setup.SetupSeconds, 3));
            w.WriteNumber("settle_s", Round(setup.SettleSeconds, 3));
            w.WriteNumber("connect_failures", setup.ConnectFailures);
            if (setup.ConnectFirstError is not null) w.WriteString("connect_first_error", setup.ConnectFirstError);
            w.WriteNumber("calls_hung_up_after", setup.CallsHungUp);
            w.WriteEndObject();

            w.WriteStartObject("params");
            w.WriteString("url", o.Url.ToString());
            w.WriteString("dialect", o.Dialect == Dialect.CallCluster ? "callcluster" : "upstream");
            w.WriteNumber("connections", o.Connections);
            w.WriteNumber("in_flight", o.InFlight);
            if (o.Count is long c) w.WriteNumber("count", c); else w.WriteNull("count");
            if (o.DurationSeconds is double d) w.WriteNumber("duration_s", d); else w.WriteNull("duration_s");
            w.WriteNumber("warmup_s", o.WarmupSeconds);
            w.WriteNumber("grace_s", o.GraceSeconds);
            w.WriteNumber("max_seconds", o.MaxSeconds);
            w.WriteString("mix", o.Mix.Text);
            w.WriteString("cmd_ids", o.ServerCmdIds ? "server" : "client");
            if (o.Mi is not null) w.WriteString("mi", o.Mi.ToString()); else w.WriteNull("mi");
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    private static void WriteLatency(Utf8JsonWriter w, string name, LatencyHistogram h, bool withP95)
    {
        w.WriteStartObject(name);
        w.WriteNumber("count", h.Count);
        w.WriteNumber("p50", Ms(h.ValueAtPercentile(50)));
        if (withP95) w.WriteNumber("p95", Ms(h.ValueAtPercentile(95)));
        w.WriteNumber("p99", Ms(h.ValueAtPercentile(99)));
        w.WriteNumber("max", Ms(h.MaxMicros));
        w.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter w, string name, Dictionary<string, long> counts)
    {
        w.WriteStartObject(name);
        foreach (var kv in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumber(kv.Key, kv.Value);
        w.WriteEndObject();
    }

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
    private static double Round(double v, int digits) => Math.Round(v, digits);
}
