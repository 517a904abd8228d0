using Akka.Event;

namespace CallCluster.Node.OpenSips;

/// <summary>Logs at most one warning per interval and reports how many were suppressed, so a flood of bad
/// datagrams cannot flood the log. Thread-safe: parse batches run in parallel (the lock is only taken for bad
/// datagrams).</summary>
internal sealed class RateLimitedLog(ILoggingAdapter log, TimeSpan interval)
{
    private readonly long _intervalMs = (long)interval.TotalMilliseconds;
    private readonly Lock _gate = new();
    private long _lastMs = long.MinValue;
    private long _suppressed;

    public void Warning(string format, object arg1, object? arg2)
    {
        long suppressed;
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (_lastMs != long.MinValue && now - _lastMs < _intervalMs)
            {
                _suppressed++;
                return;
            }
            _lastMs = now;
            suppressed = _suppressed;
            _suppressed = 0;
        }
        if (suppressed > 0) log.Warning(format + " (+{2} more suppressed)", arg1, arg2 ?? "", suppressed);
        else log.Warning(format, arg1, arg2 ?? "");
    }
}
