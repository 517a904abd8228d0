using System.Diagnostics;

namespace CallCluster.Ops.Tests.Support;

public static class Repo
{
    /// <summary>The repository root: the first parent of the test binaries holding CallCluster.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "CallCluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("CallCluster.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs a program to completion; null when it is not installed.</summary>
    public static (int Exit, string Stdout, string Stderr)? Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 60 s");
            }

            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
