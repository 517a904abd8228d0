using System.Collections.Concurrent;
using System.Diagnostics;

namespace CallCluster.TestSupport;

/// <summary>Records the spans of one <see cref="ActivitySource"/> as an exporter would see them: a plain
/// <see cref="ActivityListener"/> that samples every span, keeping each when it starts and when it ends. Listeners are
/// process-wide, so tests pick their own spans out by a tag (a cmd_id of their own).</summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;

    public SpanRecorder(string sourceName)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == sourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = Started.Enqueue,
            ActivityStopped = Ended.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<Activity> Started { get; } = new();

    public ConcurrentQueue<Activity> Ended { get; } = new();

    public void Dispose() => _listener.Dispose();
}
