using System.Diagnostics;

namespace CallCluster.Hosting.Tracing;

/// <summary>The one <see cref="ActivitySource"/> of CallCluster (docs/tracing.md) and the two rules every span of it
/// follows, because its spans live in actors:
/// <list type="bullet">
/// <item>The parent is always explicit. <see cref="Activity.Current"/> is an async-local: it does not flow through an
/// actor's mailbox, and on a dispatcher thread it holds whatever the last message left there. So a span starts from
/// the context carried in the message (or none: a new trace), never from Activity.Current.</item>
/// <item>A span never stays in Activity.Current. A command's span lasts from its start to its Ended, over many
/// messages and threads; left as the thread's current activity it would become the parent of whatever runs next on
/// that thread. Starting and stopping put Activity.Current back as it was.</item>
/// </list>
/// With no listener (tracing off: no exporter configured, no test listening) <see cref="Start"/> returns null after one
/// check and callers skip every tag: tracing costs nothing when it is off.</summary>
public static class CallClusterTracing
{
    public const string SourceName = "CallCluster";

    public static readonly ActivitySource Source = new(SourceName,
        typeof(CallClusterTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Whether anything listens: false when tracing is off. Callers check it before computing names or tags.</summary>
    public static bool Enabled => Source.HasListeners();

    /// <summary>A span whose parent is <paramref name="parent"/> (default: the root of a new trace), or null when
    /// nothing listens or the sampler drops it. Activity.Current is the same before and after.</summary>
    public static Activity? Start(string name, ActivityKind kind, ActivityContext parent,
        IEnumerable<ActivityLink>? links = null)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        // StartActivity takes Activity.Current as the parent when none is given: clear it so "none" means a new trace.
        Activity.Current = null;
        var activity = Source.StartActivity(name, kind, parent, tags: null, links: links);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends <paramref name="activity"/> (nothing when null) without touching the thread's Activity.Current,
    /// which Activity.Stop would otherwise set to what was current when the span started.</summary>
    public static void Stop(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        var current = Activity.Current;
        activity.Stop();
        Activity.Current = current;
    }

    /// <summary>The W3C <c>traceparent</c> of a span, to carry to another actor or process; null when there is no
    /// span or it is not sampled (the receiver then has nothing to join and starts its own trace if it traces).</summary>
    public static string? TraceParentOf(Activity? activity) =>
        activity is { Recorded: true, IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>The context a <c>traceparent</c> names; default (a new trace) when it is null or not valid W3C.</summary>
    public static ActivityContext ParseTraceParent(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context)
            ? context
            : default;
}
