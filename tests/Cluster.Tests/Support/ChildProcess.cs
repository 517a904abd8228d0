using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CallCluster.Cluster.Tests.Support;

/// <summary>A CallCluster executable from this test's output folder, run as a real separate process (so it can be
/// killed or terminated for real), with its output kept (time-stamped) for failure messages. Adapted from the
/// end-to-end tests' ChildProcess: it also sends SIGTERM and waits for other lines than the ready one.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>True once the test itself sent SIGTERM (any other SIGTERM came from outside the test).</summary>
    public bool TerminatedByTest { get; private set; }

    /// <summary>The process logged a SIGTERM the test did not send (e.g. a `pkill` by something else on the machine).</summary>
    public bool GotForeignSigterm => !TerminatedByTest && _output.Any(l => l.Contains("Signal SIGTERM received", StringComparison.Ordinal));

    /// <summary>The last lines of output (stdout and stderr), prefixed with the process name and its age in seconds.</summary>
    public string Output => string.Join("\n", _output.TakeLast(150));

    /// <summary>Every kept line (the last 2000).</summary>
    public IReadOnlyList<string> Lines => _output.ToList();

    /// <summary>Starts the app <paramref name="assembly"/> (src/Apps/{assembly}: callcluster-{assembly}.dll) with args and waits for <paramref name="readyText"/> in its output.</summary>
    public static async Task<ChildProcess> StartAsync(string name, string assembly, string args,
        IReadOnlyDictionary<string, string> environment, string readyText, TimeSpan timeout)
    {
        // The child runs from this test's output folder, so it resolves packages with this folder's deps file, and with
        // the node's runtime config, whose ASP.NET shared framework supplies packages this folder does not copy.
        var dir = AppContext.BaseDirectory;
        var (dll, deps, runtimeConfig) = Aliases(assembly);
        var info = new ProcessStartInfo("dotnet", $"exec --depsfile \"{deps}\" --runtimeconfig \"{runtimeConfig}\" \"{dll}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        child._waits.TryAdd(readyText, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
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
            throw new TimeoutException($"{name} ({assembly}) did not get ready: {e.Message}\n{child.Output}");
        }

        return child;
    }

    private static readonly object AliasLock = new();

    /// <summary>
    /// The files a child is started from, under neutral names ("ccut-*": CallCluster under test), copied next to the
    /// originals in this output folder. On a shared development machine other sessions stop their own CallCluster
    /// processes with pattern kills (e.g. <c>pkill -f callcluster-node</c>, which sends SIGTERM); with the original
    /// names on its command line, a cluster under test was hit by such a signal mid-test. Assembly resolution is
    /// unchanged: same folder, same deps file content, same runtime config.
    /// </summary>
    private static (string Dll, string Deps, string RuntimeConfig) Aliases(string assembly)
    {
        var dir = AppContext.BaseDirectory;
        var alias = (Dll: Path.Combine(dir, $"ccut-{assembly.ToLowerInvariant()}.dll"), Deps: Path.Combine(dir, "ccut.deps.json"),
            RuntimeConfig: Path.Combine(dir, "ccut.runtimeconfig.json"));
        lock (AliasLock)
        {
            Refresh(Path.Combine(dir, "callcluster-" + assembly.ToLowerInvariant() + ".dll"), alias.Dll);
            Refresh(Path.Combine(dir, "CallCluster.Cluster.Tests.deps.json"), alias.Deps);
            Refresh(Path.Combine(dir, "callcluster-node.runtimeconfig.json"), alias.RuntimeConfig);
        }

        return alias;

        static void Refresh(string source, string target)
        {
            if (!File.Exists(target) || File.GetLastWriteTimeUtc(target) != File.GetLastWriteTimeUtc(source) ||
                new FileInfo(target).Length != new FileInfo(source).Length)
            {
                File.Copy(source, target, overwrite: true);
                File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(source));
            }
        }
    }

    /// <summary>Completes when a line containing <paramref name="text"/> has been printed (also if it already was).</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var tcs = _waits.GetOrAdd(text, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_output.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            tcs.TrySetResult();
        }

        var exited = WaitForExitAsync();
        var done = await Task.WhenAny(tcs.Task, exited, Task.Delay(timeout));
        if (done == tcs.Task)
        {
            return;
        }

        throw new TimeoutException(done == exited
            ? $"{Name} exited (code {SafeExitCode()}) before printing '{text}'"
            : $"{Name} did not print '{text}' within {timeout}");
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
            return _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
        while (_output.Count > 2000 && _output.TryDequeue(out _))
        {
        }

        foreach (var (text, tcs) in _waits)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                tcs.TrySetResult();
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
