using System.Net;
using Akka.Configuration;

namespace CallCluster.Simulator;

/// <summary>Standalone: dotnet run --project src/Simulator -- --mi-port 8080 [--bind 127.0.0.1] [--config file.conf]</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = new SimulatorOptions { MiPort = 8080 };
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--config":
                        // The config file is read first so explicit flags after it still win.
                        var cfg = ConfigurationFactory.ParseString(await File.ReadAllTextAsync(args[++i]));
                        options = SimulatorOptions.FromConfig(cfg) is var fromFile && cfg.HasPath("callcluster.simulator.mi-port")
                            ? fromFile : fromFile with { MiPort = options.MiPort };
                        break;
                    case "--mi-port": options = options with { MiPort = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture) }; break;
                    case "--bind": options = options with { BindAddress = IPAddress.Parse(args[++i]) }; break;
                    case "-h" or "--help":
                        Console.WriteLine("usage: CallCluster.Simulator [--mi-port 8080] [--bind 127.0.0.1] [--config file.conf]");
                        return 0;
                    default:
                        await Console.Error.WriteLineAsync("unknown argument: " + args[i]);
                        return 2;
                }
            }
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or FormatException or IOException)
        {
            await Console.Error.WriteLineAsync("bad arguments: " + ex.Message);
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
                $"callcluster-simulator: MI port {options.BindAddress}:{options.MiPort} is already in use (or not allowed); choose another with --mi-port or callcluster.simulator.mi-port");
            return 2;
        }

        await using var sim = started;
        Console.WriteLine($"OpenSIPS simulator (4.0.1 MI/EVI over UDP) listening on udp:{sim.MiEndPoint}");
        try { await Task.Delay(Timeout.Infinite, stop.Token); }
        catch (OperationCanceledException) { }
        return 0;
    }
}
