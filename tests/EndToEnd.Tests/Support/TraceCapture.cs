using System.Diagnostics;
using CallCluster.Hosting.Tracing;
using OpenTelemetry.Trace;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>CallCluster's spans as the in-memory exporter receives them, for the life of one test. The listener is
/// process-wide, so spans of tests running alongside arrive too: a test picks its own by trace id.</summary>
public sealed class TraceCapture : IDisposable
{
    private readonly SpanList _spans = new();
    private readonly TracerProvider _provider;

    public TraceCapture()
    {
        _provider = TracingSetup.Builder("callcluster-test").AddInMemoryExporter(_spans).Build();
    }

    /// <summary>The spans of <paramref name="traceId"/> exported so far.</summary>
    public IReadOnlyList<Activity> Trace(ActivityTraceId traceId) => _spans.Where(s => s.TraceId == traceId);

    /// <summary>Waits (bounded) for an exported span matching <paramref name="match"/>; spans are exported when they end,
    /// which may be just after the client has seen the reply or notification the span covers.</summary>
    public Task<Activity> WaitForSpanAsync(Func<Activity, bool> match, TimeSpan timeout, string what) =>
        WaitForAsync(() => _spans.Where(match).FirstOrDefault(), timeout, what);

    /// <summary>Waits (bounded) until <paramref name="done"/> holds for the spans of <paramref name="traceId"/>.</summary>
    public Task<IReadOnlyList<Activity>> WaitForTraceAsync(ActivityTraceId traceId, Func<IReadOnlyList<Activity>, bool> done,
        TimeSpan timeout, string what) =>
        WaitForAsync(() => Trace(traceId) is var spans && done(spans) ? spans : null, timeout, what);

    private static async Task<T> WaitForAsync<T>(Func<T?> poll, TimeSpan timeout, string what) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (poll() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"not exported within {timeout}: {what}");
            await Task.Delay(20);
        }
    }

    public void Dispose() => _provider.Dispose();

    /// <summary>The exporter adds from whichever thread ends a span (actor threads); tests read a copy.</summary>
    private sealed class SpanList : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count
        {
            get
            {
                lock (_items) return _items.Count;
            }
        }

        public bool IsReadOnly => false;

        public IReadOnlyList<Activity> Where(Func<Activity, bool> match)
        {
            lock (_items) return _items.Where(match).ToList();
        }

        public void Add(Activity item)
        {
            lock (_items) _items.Add(item);
        }

        public void Clear()
        {
            lock (_items) _items.Clear();
        }

        public bool Contains(Activity item)
        {
            lock (_items) return _items.Contains(item);
        }

        public void CopyTo(Activity[] array, int arrayIndex)
        {
            lock (_items) _items.CopyTo(array, arrayIndex);
        }

        public bool Remove(Activity item)
        {
            lock (_items) return _items.Remove(item);
        }

        public IEnumerator<Activity> GetEnumerator() => Where(_ => true).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
