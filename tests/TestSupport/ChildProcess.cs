using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CallCluster.TestSupport;

/// <summary>A CallCluster executable from this test's output folder (<see cref="TestOutputExecutable"/>), run as a real
/// separate process, so it can be killed or terminated for real, with its output kept (time-stamped) for failure
/// messages. Killed when disposed.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int KeptLines = 2000;
    private const int LinesInMessages = 150;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>What the process is called in its output lines and in failure messages.</summary>
    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>True once the test itself sent SIGTERM (any other SIGTERM came from outside the test).</summary>
    public bool TerminatedByTest { get; private set; }

    /// <summary>The process logged a SIGTERM the test did not send (e.g. a `pkill` by something else on the machine).</summary>
    public bool GotForeignSigterm => !TerminatedByTest && _output.Any(l => l.Contains("Signal SIGTERM received", StringComparison.Ordinal));

    /// <summary>The last lines of output (stdout and stderr), prefixed with the process name and its age in seconds.</summary>
    public string Output => string.Join("\n", _output.TakeLast(LinesInMessages));

    /// <summary>Every kept line (the last 2000), for tests that search the whole log.</summary>
    public string FullOutput => string.Join("\n", _output);

    /// <summary>Every kept line (the last 2000), prefixed as in <see cref="Output"/>.</summary>
    public IReadOnlyList<string> Lines => _output.ToList();

    /// <summary>Every line the process wrote to stdout (not stderr), in order and unprefixed: what a log collector reads.</summary>
    public IReadOnlyList<string> StdoutLines => _stdout.ToArray();

    /// <summary>Starts the app <paramref name="assembly"/> (src/Apps/{assembly}) with args, named after it, and waits for
    /// <paramref name="readyText"/> in its output.</summary>
    public static Task<ChildProcess> StartAsync(string assembly, string args, IReadOnlyDictionary<string, string> environment,
        string readyText, TimeSpan timeout) =>
        StartAsync(assembly, assembly, args, environment, readyText, timeout);

    /// <summary>Starts the app <paramref name="assembly"/> (src/Apps/{assembly}) with args as <paramref name="name"/> and waits for
    /// <paramref name="readyText"/> in its output (TimeoutException with the output, the process killed).</summary>
    public static async Task<ChildProcess> StartAsync(string name, string assembly, string args,
        IReadOnlyDictionary<string, string> environment, string readyText, TimeSpan timeout)
    {
        var process = new Process { StartInfo = TestOutputExecutable.StartInfo(assembly, args, environment), EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        child._waits.TryAdd(readyText, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                child._stdout.Enqueue(e.Data);
            }

            child.OnLine(e.Data);
        };
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await child.WaitForLineAsync(readyText, timeout);
        }
        catch (TimeoutException e)
        {
            await child.DisposeAsync();
            throw new TimeoutException($"{name} ({assembly}) did not get ready: {e.Message}");
        }

        return child;
    }

    /// <summary>Runs the app <paramref name="assembly"/> (src/Apps/{assembly}) with args until it exits by itself (killed after
    /// <paramref name="timeout"/>): its exit code, its stderr lines and all its output.</summary>
    public static async Task<(int ExitCode, IReadOnlyList<string> Stderr, string Output)> RunToExitAsync(string assembly, string args,
        IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var stderr = new ConcurrentQueue<string>();
        var all = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = TestOutputExecutable.StartInfo(assembly, args, environment) };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                all.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            stderr.Enqueue(e.Data);
            all.Enqueue(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"{assembly} {args} did not exit within {timeout}:\n{string.Join("\n", all.TakeLast(LinesInMessages))}");
        }

        // WaitForExitAsync also waits for the redirected streams to reach their end.
        return (process.ExitCode, stderr.ToArray(), string.Join("\n", all));
    }

    /// <summary>Completes when a line containing <paramref name="text"/> has been printed (also if it already was); a
    /// TimeoutException with the output when the process exits first or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = _waits.GetOrAdd(text, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_output.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            seen.TrySetResult();
        }

        var exited = WaitForExitAsync();
        var done = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (done == seen.Task)
        {
            return;
        }

        throw new TimeoutException((done == exited
            ? $"{Name} exited (code {SafeExitCode()}) before printing '{text}'"
            : $"{Name} did not print '{text}' within {timeout}") + $":\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown hooks, no goodbyes, as when a node crashes.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod: the process leaves the cluster gracefully (CoordinatedShutdown).</summary>
    public void Terminate()
    {
        TerminatedByTest = true;
        if (Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public Task WaitForExitAsync() => _process.WaitForExitAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // never started, or already reaped
        }

        _process.Dispose();
    }

    private string SafeExitCode()
    {
        try
        {
            return _process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue($"[{Name} +{_clock.Elapsed.TotalSeconds:0.0}s] {line}");
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }

        foreach (var (text, waiter) in _waits)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                waiter.TrySetResult();
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
