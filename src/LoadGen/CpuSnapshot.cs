using System.Diagnostics;
using System.Globalization;

namespace CallCluster.LoadGen;

/// <summary>CPU spent during the timed run, read from Linux's /proc: the server process given with
/// <c>--cpu-pid</c>, this load generator, and the whole machine. Why: on one machine the server, the simulator and
/// the load generator share the cores, so a rate alone does not say what limits it; CPU milliseconds per command do
/// (cores × 1000 / ms per command is the most that machine can run). Null where /proc cannot be read.</summary>
public sealed record CpuSnapshot(long ServerTicks, TimeSpan LoadGen, long MachineBusyTicks, long MachineTotalTicks)
{
    /// <summary>Kernel clock ticks per second of /proc's counters (USER_HZ; 100 on every Linux this runs on).</summary>
    private const double TicksPerSecond = 100;

    public static CpuSnapshot? Take(int? serverPid)
    {
        try
        {
            var machine = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
            long total = machine.Take(8).Sum();
            long busy = total - machine[3] - machine[4];
            return new CpuSnapshot(serverPid is int pid ? ProcessTicks(pid) : 0, Process.GetCurrentProcess().TotalProcessorTime, busy, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>utime + stime of a process (fields 14 and 15 of /proc/PID/stat, counted after the command name,
    /// which may hold spaces and parentheses).</summary>
    private static long ProcessTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>The CPU figures between <paramref name="start"/> and <paramref name="end"/> for
    /// <paramref name="commands"/> commands ended in that time.</summary>
    public static CpuUse? Between(CpuSnapshot? start, CpuSnapshot? end, long commands, bool withServer, double seconds)
    {
        if (start is null || end is null || commands <= 0 || seconds <= 0)
        {
            return null;
        }

        double Ms(double ticks) => ticks / TicksPerSecond * 1000;
        double machineBusyShare = end.MachineTotalTicks > start.MachineTotalTicks
            ? (double)(end.MachineBusyTicks - start.MachineBusyTicks) / (end.MachineTotalTicks - start.MachineTotalTicks)
            : 0;
        return new CpuUse(
            withServer ? Ms(end.ServerTicks - start.ServerTicks) / commands : null,
            (end.LoadGen - start.LoadGen).TotalMilliseconds / commands,
            Ms(end.MachineBusyTicks - start.MachineBusyTicks) / commands,
            machineBusyShare * Environment.ProcessorCount,
            Environment.ProcessorCount,
            seconds);
    }
}

/// <summary>CPU milliseconds per ended command (the server's, this load generator's, the whole machine's) and how many
/// cores the machine kept busy on average over <paramref name="Seconds"/>.</summary>
public sealed record CpuUse(double? ServerMsPerCommand, double LoadGenMsPerCommand, double MachineMsPerCommand, double BusyCores,
    int Cores, double Seconds);
