using System.CommandLine;
using System.Net;
using Akka.Configuration;
using CallCluster.Simulator;

namespace CallCluster.Apps.Simulator;

/// <summary>Standalone: dotnet run --project src/Apps/Simulator -- --mi-port 8080 [--bind 127.0.0.1] [--config file.conf].
/// Command line by System.CommandLine, with the conventions of every CallCluster process: a mistake or a port in use is
/// exit code 2 with one line on stderr, --help exit 0.</summary>
public static class Program
{
    private const string Name = "callcluster-simulator";

    private static readonly Option<int?> MiPort = new("--mi-port")
    {
        Description = "UDP port of the MI endpoint (8080) [callcluster.simulator.mi-port in --config]",
        HelpName = "port",
    };

    private static readonly Option<string?> Bind = new("--bind")
    {
        Description = "address to listen on (127.0.0.1)",
        HelpName = "address",
    };

    private static readonly Option<FileInfo?> Config = new("--config")
    {
        Description = "HOCON file with a callcluster.simulator { } block (flags win over it)",
        HelpName = "FILE",
    };

    private static readonly RootCommand Command = new("OpenSIPS simulator (sandbox mode): OpenSIPS 4.0's MI and EVI datagram protocol on UDP.")
    {
        MiPort, Bind, Config,
    };

    public static async Task<int> Main(string[] args)
    {
        var parsed = Command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"{Name}: {error.Message}");
            }

            await Console.Error.WriteLineAsync("usage: callcluster-simulator [options] (--help lists them)");
            return 2;
        }

        if (parsed.Action is not null)
        {
            return await parsed.InvokeAsync(); // --help, or a completion directive
        }

        SimulatorOptions options;
        try
        {
            options = Options(parsed);
        }
        catch (Exception e) when (e is IOException or FormatException or ConfigurationException)
        {
            await Console.Error.WriteLineAsync($"{Name}: {e.Message}");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });

        OpenSipsSimulator started;
        try
        {
            started = await OpenSipsSimulator.StartAsync(options);
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode is System.Net.Sockets.SocketError.AddressAlreadyInUse
                                                               or System.Net.Sockets.SocketError.AccessDenied)
        {
            // One line, exit code 2, like every CallCluster process (docs/faults-and-bad-input.md).
            await Console.Error.WriteLineAsync(
                $"{Name}: MI port {options.BindAddress}:{options.MiPort} is already in use (or not allowed); choose another with --mi-port or callcluster.simulator.mi-port");
            return 2;
        }

        await using var sim = started;
        Console.WriteLine($"OpenSIPS simulator (4.0.1 MI/EVI over UDP) listening on udp:{sim.MiEndPoint}");
        try { await Task.Delay(Timeout.Infinite, stop.Token); }
        catch (OperationCanceledException) { }
        return 0;
    }

    /// <summary>The config file's block first, then the flags over it; the MI port is 8080 unless one of them says.</summary>
    private static SimulatorOptions Options(ParseResult parsed)
    {
        var options = new SimulatorOptions { MiPort = 8080 };
        if (parsed.GetValue(Config) is { } file)
        {
            var config = ConfigurationFactory.ParseString(File.ReadAllText(file.FullName));
            options = SimulatorOptions.FromConfig(config) is var fromFile && config.HasPath("callcluster.simulator.mi-port")
                ? fromFile
                : fromFile with { MiPort = options.MiPort };
        }

        if (parsed.GetValue(MiPort) is { } port)
        {
            options = options with { MiPort = port };
        }

        if (parsed.GetValue(Bind) is { } bind)
        {
            options = options with { BindAddress = IPAddress.Parse(bind) };
        }

        return options;
    }
}
