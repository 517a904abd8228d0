using System.Diagnostics;

namespace CallCluster.Hosting.Tracing;

/// <summary>The gateway's span for one command request (<see cref="TraceNames.GatewayCommand"/>): the root of the
/// command's trace, or the child of the <c>traceparent</c> a REST client sent. It lasts until the command service
/// answers (accepted, rejected) or the gateway gives up waiting; the command's own span, its child, lasts until
/// Ended. Every method takes and tolerates a null span (tracing off).</summary>
public static class GatewaySpans
{
    public const string WebSocket = "websocket";
    public const string Rest = "rest";

    /// <param name="incomingTraceParent">A REST request's <c>traceparent</c> header; null: the span starts a trace.</param>
    public static Activity? StartCommand(string cmdId, string method, string transport, string? incomingTraceParent = null)
    {
        if (!CallClusterTracing.Enabled)
        {
            return null;
        }

        var span = CallClusterTracing.Start(TraceNames.GatewayCommand, ActivityKind.Server,
            CallClusterTracing.ParseTraceParent(incomingTraceParent));
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TraceNames.CmdId, cmdId);
            span.SetTag(TraceNames.Method, method);
            span.SetTag(TraceNames.Transport, transport);
        }

        return span;
    }

    public static void Accepted(Activity? span, bool existing)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TraceNames.Outcome, "accepted");
        span.SetTag(TraceNames.Existing, existing);
        CallClusterTracing.Stop(span);
    }

    /// <summary>Refused by the gateway (limits) or the command service; <paramref name="code"/> is the JSON-RPC code.</summary>
    public static void Rejected(Activity? span, int code, string message)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TraceNames.Outcome, "rejected");
        span.SetTag(TraceNames.ErrorCode, code);
        span.SetStatus(ActivityStatusCode.Error, message);
        CallClusterTracing.Stop(span);
    }

    /// <summary>The client's connection closed before the command service answered: the command may still run (a
    /// client can follow it again with CommandSubscribe), but this request has no one left to answer.</summary>
    public static void Abandoned(Activity? span)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TraceNames.Outcome, "abandoned");
        span.SetStatus(ActivityStatusCode.Error, "the connection closed before the command service answered");
        CallClusterTracing.Stop(span);
    }

    public static void TimedOut(Activity? span)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TraceNames.Outcome, "timeout");
        span.SetStatus(ActivityStatusCode.Error, "command service did not answer in time");
        CallClusterTracing.Stop(span);
    }
}
