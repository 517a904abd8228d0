using Akka.Event;
using CallCluster.Hosting.Metrics;

namespace CallCluster.Node.OpenSips;

/// <summary>Polls the kernel's drop counter of the EVI socket once per interval and feeds the
/// <c>callcluster_evi_kernel_drops_total</c> counter, so losses that no user-space code can see show up on
/// <c>/metrics</c>, in <see cref="EviStats"/> and (as a warning) in the log. Runs on a timer thread, never on an
/// actor; does nothing where <c>/proc/net/udp</c> is unavailable.</summary>
internal sealed class KernelDropMonitor : IDisposable
{
    private readonly UdpDropReader _reader;
    private readonly ILoggingAdapter _log;
    private readonly Timer? _timer;
    private readonly long _baseline;
    private long _last;
    private int _polling;

    public KernelDropMonitor(UdpDropReader reader, ILoggingAdapter log, TimeSpan interval)
    {
        _reader = reader;
        _log = log;
        var first = reader.Read();
        if (first is null) return; // not Linux, or the socket is not in the table: nothing to report
        _baseline = _last = first.Value;
        Available = true;
        _timer = new Timer(_ => Poll(), null, interval, interval);
    }

    public bool Available { get; }

    /// <summary>Datagrams the kernel dropped since the listener started, as of the last poll; null when unavailable.</summary>
    public long? Drops => Available ? Interlocked.Read(ref _last) - _baseline : null;

    /// <summary>Reads the counter now (also called by the timer). Overlapping calls are skipped.</summary>
    public void Poll()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1) return;
        try
        {
            var now = _reader.Read();
            if (now is null) return;
            var delta = now.Value - Interlocked.Read(ref _last);
            if (delta <= 0) return;
            Interlocked.Exchange(ref _last, now.Value);
            CallClusterMetrics.EviKernelDropped(delta);
            _log.Warning("EVI socket: the kernel dropped {0} datagrams (receive buffer full); {1} since start. " +
                "Raise callcluster.evi.receive-buffer (and net.core.rmem_max) or find what stalls the listener.",
                delta, now.Value - _baseline);
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    public void Dispose() => _timer?.Dispose();
}
