using Akka.Configuration;

namespace CallCluster.Node.Commands;

/// <summary>Timers and SIP details of the command flows (<c>callcluster.commands</c>).</summary>
public sealed record CommandSettings(TimeSpan EndConfirmTimeout, TimeSpan DialogAttachRetry, TimeSpan EndedLinger)
{
    /// <summary>CallStart: how long after the caller's 2xx the dialog may take to be reported confirmed (state 4).</summary>
    public TimeSpan ConfirmTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>No E_CALL_TRANSFER start this long after the REFER: the phone rejected or ignored it (OpenSIPS
    /// reports neither), so the transfer fails instead of hanging.</summary>
    public TimeSpan TransferStartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After start, the transfer target's final answer; above OpenSIPS's fr_inv_timeout.</summary>
    public TimeSpan TransferAnswerTimeout { get; init; } = TimeSpan.FromSeconds(130);

    /// <summary>Hold/unhold: the re-INVITEs' final answers.</summary>
    public TimeSpan HoldTimeout { get; init; } = TimeSpan.FromSeconds(35);

    /// <summary>While waiting for an MI reply or EVI event that a lost datagram or a restarted proxy would never deliver
    /// (t_uac_dlg's final answer, the transfer target's), ask the proxy (dlg_list) this often
    /// (CommandEntity.ProxyChecks.cs).</summary>
    public TimeSpan ProxyCheckEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>CallStart's INVITE goes here so that it loops through OpenSIPS and gets a dialog.</summary>
    public string NextHop { get; init; } = "";

    /// <summary>Contact of the click-to-dial UAC side; <c>!!</c> is OpenSIPS's own outgoing socket.</summary>
    public string UacContact { get; init; } = "sip:callcluster@!!";

    public static CommandSettings FromConfig(Config config) => new(
        config.GetTimeSpan("callcluster.commands.end-confirm-timeout", TimeSpan.FromSeconds(10)),
        config.GetTimeSpan("callcluster.commands.dialog-attach-retry", TimeSpan.FromSeconds(2)),
        config.GetTimeSpan("callcluster.commands.ended-linger", TimeSpan.FromSeconds(60)))
    {
        ConfirmTimeout = config.GetTimeSpan("callcluster.commands.confirm-timeout", TimeSpan.FromSeconds(5)),
        TransferStartTimeout = config.GetTimeSpan("callcluster.commands.transfer-start-timeout", TimeSpan.FromSeconds(10)),
        TransferAnswerTimeout = config.GetTimeSpan("callcluster.commands.transfer-answer-timeout", TimeSpan.FromSeconds(130)),
        HoldTimeout = config.GetTimeSpan("callcluster.commands.hold-timeout", TimeSpan.FromSeconds(35)),
        ProxyCheckEvery = config.GetTimeSpan("callcluster.commands.proxy-check-every", TimeSpan.FromSeconds(5)),
        NextHop = config.GetString("callcluster.commands.call-start.next-hop", ""),
        UacContact = config.GetString("callcluster.commands.call-start.uac-contact", "sip:callcluster@!!"),
    };
}
