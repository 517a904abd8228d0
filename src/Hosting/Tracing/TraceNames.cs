namespace CallCluster.Hosting.Tracing;

/// <summary>Names of CallCluster's spans, span events and tags (docs/tracing.md lists them with their meaning). Span
/// names stay few (the method is a tag, except for MI spans whose name is the MI method, a short fixed set).</summary>
public static class TraceNames
{
    /// <summary>The gateway handling one command request (WebSocket or REST): the root of a command's trace.</summary>
    public const string GatewayCommand = "gateway.command";

    /// <summary>A command's life in its command actor, from StartCommand (or a resume) to Ended.</summary>
    public const string Command = "command";

    /// <summary>Prefix of an MI request's span: "mi dlg_end_dlg".</summary>
    public const string MiPrefix = "mi ";

    /// <summary>Span event on the command span: one EVI event that reached the command.</summary>
    public const string EviEvent = "evi";

    /// <summary>Span event on an MI span: an attempt got no reply in time and the request is sent again.</summary>
    public const string MiRetry = "mi.retry";

    public const string CmdId = "callcluster.cmd_id";
    public const string Method = "callcluster.method";

    /// <summary>websocket or rest.</summary>
    public const string Transport = "callcluster.transport";

    /// <summary>gateway.command: accepted, rejected, timeout. command: ok, failed, stopped (the actor stopped before
    /// Ended: a hand-off or a crash; the command resumes elsewhere under a new span).</summary>
    public const string Outcome = "callcluster.outcome";

    /// <summary>The JSON-RPC error code of a rejected request or a failed command.</summary>
    public const string ErrorCode = "callcluster.error_code";

    /// <summary>gateway.command: true when the cmd_id named a command that already existed (an idempotent repeat).</summary>
    public const string Existing = "callcluster.existing";

    /// <summary>true on the span of a command that resumed after a crash or a hand-off.</summary>
    public const string Resumed = "callcluster.resumed";

    public const string MiMethod = "callcluster.mi.method";

    /// <summary>What the command waits for with this request (its tag), e.g. InviteTag.</summary>
    public const string MiTag = "callcluster.mi.tag";

    /// <summary>success, failure, timeout, overloaded.</summary>
    public const string MiOutcome = "callcluster.mi.outcome";

    /// <summary>The failure's code (JSON-RPC or SIP-like; 0 = refused before sending).</summary>
    public const string MiCode = "callcluster.mi.code";

    public const string MiAttempts = "callcluster.mi.attempts";

    /// <summary>On an <see cref="EviEvent"/>: E_DLG_STATE_CHANGED, E_CALL_TRANSFER or E_CALL_HOLD.</summary>
    public const string EviName = "callcluster.evi.event";

    /// <summary>On an <see cref="EviEvent"/>: the dialog state number, or the transfer/hold state (start, ok, ...).</summary>
    public const string EviState = "callcluster.evi.state";

    public const string EviCallId = "callcluster.evi.callid";
}
