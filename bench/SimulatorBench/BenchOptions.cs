using System.Globalization;
using System.Net;

namespace CallCluster.SimulatorBench;

/// <summary>What to fire: a single cheap command, the dialog table, or whole click-to-dial flows (which cause events).</summary>
public enum Mix { Version, DlgList, ClickToDial }

/// <summary>Command-line options. The run stops at whichever bound comes first: --requests or --duration.</summary>
public sealed record BenchOptions
{
    public IPEndPoint? Target { get; init; }          // null: start the simulator in-process
    public long Requests { get; init; } = 200_000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public int InFlight { get; init; } = 256;
    public int Clients { get; init; } = 4;
    public Mix Mix { get; init; } = Mix.Version;
    public int Dialogs { get; init; } = 10;            // calls set up before a dlg_list run, so the list is not empty
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    // Long enough for tiered JIT to settle: with 1 s the measured window still spent a fifth of its CPU in the JIT.
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);
    public bool AllocProfile { get; init; }

    public const string Usage = """
        usage: SimulatorBench [--mi HOST:PORT] [--requests N] [--duration SECONDS] [--in-flight N] [--clients N]
                              [--mix version|dlg_list|click-to-dial] [--dialogs N] [--warmup SECONDS] [--alloc-profile]
          --mi          target a running simulator (or OpenSIPS); default: start the simulator in-process
          --requests    stop after this many MI requests (default 200000)
          --duration    stop after this many seconds (default 10)
          --in-flight   requests (or flows) in flight at once, spread over the client sockets (default 256)
          --clients     client UDP sockets (default 4)
          --mix         version | dlg_list | click-to-dial (t_uac_dlg, call_transfer, 2x dlg_end_dlg per flow)
          --dialogs     calls placed before a dlg_list run (default 10)
          --warmup      seconds of unmeasured load first, so tiered JIT has settled (default 5)
          --alloc-profile  print the types that allocate most (sampled GC AllocationTick events)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException(args[i] + " needs a value");
            o = args[i] switch
            {
                "--mi" => o with { Target = IPEndPoint.Parse(Next()) },
                "--requests" => o with { Requests = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--duration" => o with { Duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--in-flight" => o with { InFlight = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--clients" => o with { Clients = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--dialogs" => o with { Dialogs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--alloc-profile" => o with { AllocProfile = true },
                "--warmup" => o with { Warmup = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--mix" => o with
                {
                    Mix = Next() switch
                    {
                        "version" => Mix.Version,
                        "dlg_list" => Mix.DlgList,
                        "click-to-dial" => Mix.ClickToDial,
                        var m => throw new FormatException("unknown mix " + m),
                    },
                },
                _ => throw new FormatException("unknown argument " + args[i]),
            };
        }
        if (o.InFlight < 1 || o.Clients < 1 || o.Requests < 1) throw new FormatException("--in-flight, --clients and --requests must be positive");
        return o with { Clients = Math.Min(o.Clients, o.InFlight) };
    }
}
