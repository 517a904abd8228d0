namespace CallCluster.Admin;

/// <summary><c>callctl</c>: see <see cref="CallCtlCommandLine"/> (or <c>callctl --help</c>).</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl-C ends a stream (cluster tail, call ...) cleanly; a second one kills the process.
            if (!cts.IsCancellationRequested)
            {
                e.Cancel = true;
                cts.Cancel();
            }
        };
        return await CallCtl.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, cts.Token);
    }
}
