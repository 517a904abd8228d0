using System.Diagnostics;
using CallCluster.Hosting.Tracing;

namespace CallCluster.Node.OpenSips;

/// <summary>The span of one MI request ("mi dlg_end_dlg", docs/tracing.md): a child of the span the
/// <see cref="MiCall"/> carries, from the socket actor's send to the outcome it returns (retries are events on the same
/// span). A call without a parent, or with tracing off, gets none: one check and nothing else on the hot path.</summary>
internal static class MiTracing
{
    public static Activity? Start(MiCall call)
    {
        if (call.TraceParent == default || !CallClusterTracing.Enabled)
        {
            return null;
        }

        var span = CallClusterTracing.Start(TraceNames.MiPrefix + call.Method, ActivityKind.Client, call.TraceParent);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TraceNames.MiMethod, call.Method);
            if (call.Tag is not null)
            {
                span.SetTag(TraceNames.MiTag, call.Tag.ToString());
            }
        }

        return span;
    }

    public static void Retried(Activity? span, int nextAttempt)
    {
        span?.AddEvent(new ActivityEvent(TraceNames.MiRetry,
            tags: new ActivityTagsCollection { [TraceNames.MiAttempts] = nextAttempt }));
    }

    /// <summary>Ends the span with the outcome its caller gets.</summary>
    public static void Finish(Activity? span, MiOutcome outcome)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TraceNames.MiAttempts, outcome.Attempts);
        switch (outcome)
        {
            case MiSuccess:
                span.SetTag(TraceNames.MiOutcome, "success");
                break;
            case MiFailure failure:
                span.SetTag(TraceNames.MiOutcome, "failure");
                span.SetTag(TraceNames.MiCode, failure.Code);
                span.SetStatus(ActivityStatusCode.Error, failure.Message);
                break;
            case MiTimeout timeout:
                span.SetTag(TraceNames.MiOutcome, "timeout");
                span.SetStatus(ActivityStatusCode.Error, $"no reply within {timeout.After.TotalSeconds:0.#}s");
                break;
            case MiOverloaded:
                span.SetTag(TraceNames.MiOutcome, "overloaded");
                span.SetStatus(ActivityStatusCode.Error, "too many MI requests in flight");
                break;
        }

        CallClusterTracing.Stop(span);
    }

    /// <summary>A call answered without being sent (refused by the pool): a span that starts and ends at once.</summary>
    public static void Refused(MiCall call, MiOutcome outcome) => Finish(Start(call), outcome);
}
