using System.Globalization;
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
    /// <summary>
    /// The proxy script answers provisional refer-NOTIFYs itself (capture e_notify_variant_ack1xx), so the transferee keeps its
    /// refer subscription and its final NOTIFY reaches callops: E_CALL_TRANSFER "notify". Off like the real default script.
    /// </summary>
    public bool Ack1xxReferNotify { get; init; } = false;

    public bool FaultsEnabled => FaultDropShare > 0 || FaultReorderShare > 0;

    /// <summary>Reads a <c>callcluster.simulator { ... }</c> block; missing keys keep their defaults.</summary>
    public static SimulatorOptions FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.HasPath("callcluster.simulator") ? config.GetConfig("callcluster.simulator") : config;
        var d = new SimulatorOptions();
        if (c is null || c.IsEmpty) return d;
        var bind = Raw(c, "bind-address");
        return d with
        {
            BindAddress = bind is null ? d.BindAddress : IPAddress.Parse(bind),
            MiPort = Raw(c, "mi-port") is { } port ? int.Parse(port, CultureInfo.InvariantCulture) : d.MiPort,
            AnswerDelay = Raw(c, "answer-delay") is null ? d.AnswerDelay : c.GetTimeSpan("answer-delay"),
            SlowAnswerDelay = Raw(c, "slow-answer-delay") is null ? d.SlowAnswerDelay : c.GetTimeSpan("slow-answer-delay"),
            TransactionTimeout = Raw(c, "transaction-timeout") is null ? d.TransactionTimeout : c.GetTimeSpan("transaction-timeout"),
            Compat3x = Raw(c, "compat-3x") is null ? d.Compat3x : c.GetBoolean("compat-3x"),
            InDialogDelay = Raw(c, "in-dialog-delay") is null ? d.InDialogDelay : c.GetTimeSpan("in-dialog-delay"),
            EndedDialogRetention = Raw(c, "ended-dialog-retention") is null ? d.EndedDialogRetention : c.GetTimeSpan("ended-dialog-retention"),
            FaultDropShare = Raw(c, "fault-drop-share") is { } drop ? double.Parse(drop, CultureInfo.InvariantCulture) : d.FaultDropShare,
            FaultReorderShare = Raw(c, "fault-reorder-share") is { } re ? double.Parse(re, CultureInfo.InvariantCulture) : d.FaultReorderShare,
            FaultSeed = Raw(c, "fault-seed") is { } seed ? int.Parse(seed, CultureInfo.InvariantCulture) : d.FaultSeed,
            EventSocketPool = Raw(c, "event-socket-pool") is { } pool ? int.Parse(pool, CultureInfo.InvariantCulture) : d.EventSocketPool,
            SipPort = Raw(c, "sip-port") is { } sip ? int.Parse(sip, CultureInfo.InvariantCulture) : d.SipPort,
            Ack1xxReferNotify = Raw(c, "ack-1xx-refer-notify") is { } ack ? Switch(ack, "ack-1xx-refer-notify") : d.Ack1xxReferNotify,
        };
    }

    /// <summary>HOCON switch text: on/off (also true/false, yes/no).</summary>
    private static bool Switch(string text, string key) => text.ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new FormatException($"callcluster.simulator.{key} must be on or off, not '{text}'"),
    };

    /// <summary>
    /// The key's text, or null when absent or empty. Akka.NET's HOCON turns an unset optional substitution (x = ${?VAR})
    /// into an empty value instead of keeping the earlier one, so empty means "not configured" here.
    /// </summary>
    private static string? Raw(Config c, string key)
    {
        if (!c.HasPath(key)) return null;
        var s = c.GetString(key);
        return string.IsNullOrWhiteSpace(s) ? null : s.Trim();
    }
}
