using System.Collections.Concurrent;
using System.Diagnostics;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>A CallCluster executable from this test's output folder, run as a real separate process (so it can be
/// killed for real), with its output kept for the failure message.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentDictionary<TaskCompletionSource, string> _awaited = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyText;

    private ChildProcess(Process process, string readyText)
    {
        _process = process;
        _readyText = readyText;
    }

    public string Output => string.Join("\n", _output.TakeLast(80));

    /// <summary>Every line kept (the last 400), for tests that search the whole log.</summary>
    public string FullOutput => string.Join("\n", _output);

    public int Pid => _process.Id;

    /// <summary>Every line the process wrote to stdout (not stderr), in order: what a log collector reads.</summary>
    public IReadOnlyList<string> StdoutLines => _stdout.ToArray();

    /// <summary>Completes when a line containing <paramref name="text"/> has been printed (TimeoutException after
    /// <paramref name="timeout"/>).</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaited[seen] = text;
        if (_output.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            seen.TrySetResult();
        }

        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no line with '{text}' within {timeout}:\n{Output}");
        }
        finally
        {
            _awaited.TryRemove(seen, out _);
        }
    }

    /// <summary>Starts the app <paramref name="assembly"/> (src/Apps/{assembly}: <see cref="AppDll"/>) with args and waits for <paramref name="readyText"/> in its output.</summary>
    public static async Task<ChildProcess> StartAsync(string assembly, string args, IReadOnlyDictionary<string, string> environment,
        string readyText, TimeSpan timeout)
    {
        var info = StartInfo(assembly, args, environment);

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, readyText);
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
            await child._ready.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await child.DisposeAsync();
            throw new TimeoutException($"{assembly} did not print '{readyText}' within {timeout}:\n{child.Output}");
        }

        return child;
    }

    /// <summary>Runs the app <paramref name="assembly"/> (src/Apps/{assembly}) with args until it exits by itself (killed after
    /// <paramref name="timeout"/>): its exit code, its stderr lines and all its output.</summary>
    public static async Task<(int ExitCode, IReadOnlyList<string> Stderr, string Output)> RunToExitAsync(string assembly, string args,
        IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = StartInfo(assembly, args, environment);

        var stderr = new ConcurrentQueue<string>();
        var all = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) all.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
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
            throw new TimeoutException($"{assembly} {args} did not exit within {timeout}:\n{string.Join("\n", all.TakeLast(80))}");
        }

        // WaitForExitAsync also waits for the redirected streams to reach their end.
        return (process.ExitCode, stderr.ToArray(), string.Join("\n", all));
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // never started
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 400 && _output.TryDequeue(out _))
        {
        }

        if (line.Contains(_readyText, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }

        foreach (var (waiter, text) in _awaited)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                waiter.TrySetResult();
            }
        }
    }

    /// <summary>The executable of the app in src/Apps/<paramref name="app"/> (the AssemblyName of its project file).</summary>
    private static string AppDll(string app) => app == "Embedded" ? "callcluster.dll" : "callcluster-" + app.ToLowerInvariant() + ".dll";

    /// <summary><c>dotnet exec</c> the app's executable with args and output redirected.
    /// The child runs from this test's output folder, so it resolves packages with this folder's deps file (the
    /// referenced executable's own deps file describes its own build's versions, not what is here), and with the
    /// embedded default's runtime config, whose ASP.NET shared framework supplies packages this folder does not copy.</summary>
    private static ProcessStartInfo StartInfo(string assembly, string args, IReadOnlyDictionary<string, string> environment)
    {
        var dir = AppContext.BaseDirectory;
        var dll = Path.Combine(dir, AppDll(assembly));
        var deps = Path.Combine(dir, "CallCluster.EndToEnd.Tests.deps.json");
        var runtimeConfig = Path.Combine(dir, "callcluster.runtimeconfig.json");
        var info = new ProcessStartInfo("dotnet", $"exec --depsfile \"{deps}\" --runtimeconfig \"{runtimeConfig}\" \"{dll}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }
}
