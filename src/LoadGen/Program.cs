using CallCluster.LoadGen;

return await new LoadGenCommandLine().RunAsync(args, Console.Out, Console.Error, RunAsync);

static async Task<int> RunAsync(LoadGenOptions options)
{
    using var hardStop = new CancellationTokenSource();
    var runner = new Runner(options, options.JsonOnly ? null : Console.Error);
    int interrupts = 0;
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        if (Interlocked.Increment(ref interrupts) == 1)
        {
            Console.Error.WriteLine("loadgen: stopping (outstanding commands get the grace period; Ctrl-C again to abort)");
            runner.RequestStop();
        }
        else hardStop.Cancel();
    };

    try
    {
        var result = await runner.RunAsync(hardStop.Token);
        Console.Out.WriteLine(result.Json);
        return result.ExitCode;
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine("loadgen: aborted");
        return 130;
    }
}
