using System.Diagnostics;
using CallCluster.LoadGen;

namespace CallCluster.LoadGen.Tests;

/// <summary>The summary's CPU figures (src/LoadGen/CpuSnapshot.cs), read from this machine's real /proc.</summary>
public class CpuSnapshotTests
{
    [Fact]
    public void The_cpu_pid_option_takes_a_process_id()
    {
        Assert.Equal(4242, LoadGenCommandLine.TryParse(["--count", "1", "--cpu-pid", "4242"], out _)!.CpuPid);
        Assert.Null(LoadGenCommandLine.TryParse(["--count", "1", "--cpu-pid", "0"], out var error));
        Assert.Contains("--cpu-pid", error);
    }

    [Fact]
    public void CPU_a_watched_process_spends_is_divided_over_the_commands()
    {
        // This process is the "server": it burns about 400 ms of CPU between two snapshots, for 10 "commands".
        var self = Environment.ProcessId;
        var start = CpuSnapshot.Take(self);
        Assert.NotNull(start);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var spin = 0L;
        while (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore < TimeSpan.FromMilliseconds(400))
        {
            spin++;
        }

        var end = CpuSnapshot.Take(self);
        var use = CpuSnapshot.Between(start, end, commands: 10, withServer: true, seconds: 1);

        Assert.NotNull(use);
        Assert.True(spin > 0);
        // 400 ms over 10 commands is 40 ms each; /proc counts in 10 ms ticks, and the test host's other threads add some.
        Assert.InRange(use.ServerMsPerCommand!.Value, 30, 200);
        // The load generator is this process too, measured by .NET instead of /proc: the same work.
        Assert.InRange(use.LoadGenMsPerCommand, 35, 200);
        Assert.True(use.MachineMsPerCommand >= use.ServerMsPerCommand - 5, "the machine spent less than one of its processes");
        Assert.Equal(Environment.ProcessorCount, use.Cores);
    }

    [Fact]
    public void No_figures_without_commands_or_without_a_server()
    {
        var snapshot = CpuSnapshot.Take(null);
        Assert.Null(CpuSnapshot.Between(snapshot, snapshot, commands: 0, withServer: false, seconds: 1));
        var use = CpuSnapshot.Between(snapshot, snapshot, commands: 5, withServer: false, seconds: 1);
        Assert.NotNull(use);
        Assert.Null(use.ServerMsPerCommand);
    }
}
