using System.Net;
using Akka.Configuration;

namespace CallCluster.Simulator;

/// <summary>Settings of the OpenSIPS simulator (sandbox mode). Defaults match the shipped sandbox.conf.</summary>
public sealed record SimulatorOptions
{
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;
    public int MiPort { get; init; } = 0;              // 0 = pick a free port
    public TimeSpan AnswerDelay { get; init; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan SlowAnswerDelay { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan TransactionTimeout { get; init; } = TimeSpan.FromSeconds(30);  // tm fr_timeout stand-in
    public bool Compat3x { get; init; } = false;

    /// <summary>Delay of a phone's answer to an in-dialog request (re-INVITE, REFER) and of a transferee's new INVITE.</summary>
    public TimeSpan InDialogDelay { get; init; } = TimeSpan.FromMilliseconds(10);
    /// <summary>How long ended dialogs stay in dlg_list (OpenSIPS holds them over briefly).</summary>
    public TimeSpan EndedDialogRetention { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Share (0..1) of outgoing events and MI replies dropped by the fault switch.</summary>
    public double FaultDropShare { get; init; } = 0;
    /// <summary>Share (0..1) of outgoing events and MI replies held back and sent after the next datagram.</summary>
    public double FaultReorderShare { get; init; } = 0;
    /// <summary>Seed of the fault switch, so fault tests are repeatable.</summary>
    public int FaultSeed { get; init; } = 12345;
    /// <summary>Number of unbound sockets events are sent from (OpenSIPS sends from per-worker sockets: changing ports).</summary>
    public int EventSocketPool { get; init; } = 4;
    /// <summary>The proxy's virtual SIP port (nothing listens on it; it appears in Via, Record-Route and bind addresses).</summary>
    public int SipPort { get; init; } = 5060;

    public bool FaultsEnabled => FaultDropShare > 0 || FaultReorderShare > 0;

    /// <summary>Reads a <c>callcluster.simulator { ... }</c> block; missing keys keep their defaults.</summary>
    public static SimulatorOptions FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.HasPath("callcluster.simulator") ? config.GetConfig("callcluster.simulator") : config;
        var d = new SimulatorOptions();
        if (c is null || c.IsEmpty) return d;
        var bind = c.GetString("bind-address", null);
        return d with
        {
            BindAddress = string.IsNullOrWhiteSpace(bind) ? d.BindAddress : IPAddress.Parse(bind),
            MiPort = c.GetInt("mi-port", d.MiPort),
            AnswerDelay = c.GetTimeSpan("answer-delay", d.AnswerDelay),
            SlowAnswerDelay = c.GetTimeSpan("slow-answer-delay", d.SlowAnswerDelay),
            TransactionTimeout = c.GetTimeSpan("transaction-timeout", d.TransactionTimeout),
            Compat3x = c.GetBoolean("compat-3x", d.Compat3x),
            InDialogDelay = c.GetTimeSpan("in-dialog-delay", d.InDialogDelay),
            EndedDialogRetention = c.GetTimeSpan("ended-dialog-retention", d.EndedDialogRetention),
            FaultDropShare = c.GetDouble("fault-drop-share", d.FaultDropShare),
            FaultReorderShare = c.GetDouble("fault-reorder-share", d.FaultReorderShare),
            FaultSeed = c.GetInt("fault-seed", d.FaultSeed),
            EventSocketPool = c.GetInt("event-socket-pool", d.EventSocketPool),
            SipPort = c.GetInt("sip-port", d.SipPort),
        };
    }
}
