using Akka.Event;

namespace CallCluster.Node.OpenSips;

/// <summary>Logs at most one warning per interval and reports how many were suppressed, so a flood of bad
/// datagrams cannot flood the log. Used from one stream stage at a time.</summary>
internal sealed class RateLimitedLog(ILoggingAdapter log, TimeSpan interval)
{
    private readonly long _intervalMs = (long)interval.TotalMilliseconds;
    private long _lastMs = long.MinValue;
    private long _suppressed;

    public void Warning(string format, object arg1, object? arg2)
    {
        var now = Environment.TickCount64;
        if (_lastMs != long.MinValue && now - _lastMs < _intervalMs)
        {
            _suppressed++;
            return;
        }
        _lastMs = now;
        var suppressed = _suppressed;
        _suppressed = 0;
        if (suppressed > 0) log.Warning(format + " (+{2} more suppressed)", arg1, arg2 ?? "", suppressed);
        else log.Warning(format, arg1, arg2 ?? "");
    }
}
