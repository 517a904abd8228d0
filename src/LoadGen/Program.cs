using CallCluster.LoadGen;

var options = LoadGenOptions.TryParse(args, out string? error);
if (options is null)
{
    if (error == LoadGenOptions.Usage)
    {
        Console.Out.WriteLine(LoadGenOptions.Usage);
        return 0;
    }
    Console.Error.WriteLine("loadgen: " + error);
    Console.Error.WriteLine("loadgen: --help for usage");
    return 2;
}

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
