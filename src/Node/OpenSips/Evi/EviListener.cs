using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Supervision;
using CallCluster.Contracts.Dialogs;
using CallCluster.Hosting.Metrics;

namespace CallCluster.Node.OpenSips;

/// <summary>Receives OpenSIPS event datagrams from any source address/port and streams the typed events to
/// a target (the dialog shard region). Three steps, so a burst waits in process memory rather than overflowing the
/// kernel buffer:
/// <list type="number">
/// <item>a receive loop that only receives: each datagram is copied into a pooled buffer and queued;</item>
/// <item>a bounded queue (<see cref="EviSettings.QueueSize"/>): when full, the loop waits and the kernel buffer
/// (sized by <see cref="EviSettings.ReceiveBufferBytes"/>) takes the rest, so memory stays bounded;</item>
/// <item>a stream that takes what is queued in batches, parses batches in parallel on the thread pool
/// (<c>SelectAsync</c> keeps their order, so one Call-ID's events stay in arrival order) and Tells each event.</item>
/// </list>
/// The kernel's drop counter for the socket is polled into <see cref="EviStats.KernelDrops"/> and the
/// <c>callcluster_evi_kernel_drops_total</c> metric.</summary>
public sealed class EviListener : IAsyncDisposable
{
    private const int MaxDatagram = 65536;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop;
    private readonly EviCounters _counters;
    private readonly UniqueKillSwitch _killSwitch;
    private readonly Task _receiveLoop;
    private readonly KernelDropMonitor _drops;
    private int _disposed;

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The exact <c>udp:ip:port</c> string to subscribe with (refreshes must repeat it verbatim).</summary>
    public string AdvertisedSocket { get; }

    /// <summary>Completes when the stream stops (after <see cref="DisposeAsync"/>).</summary>
    public Task Completion { get; }

    /// <summary>The socket's kernel receive buffer as the kernel reports it (Linux: twice the granted size).</summary>
    public int ReceiveBufferBytes => _socket.ReceiveBufferSize;

    public EviStats Stats => _counters.Snapshot() with { KernelDrops = _drops.Drops };

    private EviListener(Socket socket, IPEndPoint local, string advertised, EviCounters counters, UniqueKillSwitch killSwitch,
        Task completion, Task receiveLoop, KernelDropMonitor drops, CancellationTokenSource stop)
    {
        _socket = socket;
        LocalEndPoint = local;
        AdvertisedSocket = advertised;
        _counters = counters;
        _killSwitch = killSwitch;
        Completion = completion;
        _receiveLoop = receiveLoop;
        _drops = drops;
        _stop = stop;
    }

    public static Task<EviListener> Start(ActorSystem system, EviSettings settings, IActorRef target)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(target);
        var log = Logging.GetLogger(system, typeof(EviListener));
        var socket = Bind(settings, log);
        try
        {
            var local = (IPEndPoint)socket.LocalEndPoint!;
            var advertised = Advertise(settings, local);
            var counters = new EviCounters();
            var stop = new CancellationTokenSource();
            var malformedLog = new RateLimitedLog(log, TimeSpan.FromSeconds(1));
            var queue = Channel.CreateBounded<Datagram>(new BoundedChannelOptions(settings.QueueSize)
            {
                SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
            });

            var (killSwitch, done) = ChannelSource.FromReader(queue.Reader)
                // Batches form only while the parse stage is busy, so a quiet listener adds no latency.
                .Batch(settings.ParseBatch, d => new List<Datagram>(8) { d }, (batch, d) =>
                {
                    batch.Add(d);
                    return batch;
                })
                .SelectAsync(settings.ParseParallelism, batch => Task.Run(() => ParseBatch(batch, counters, malformedLog)))
                .WithAttributes(ActorAttributes.CreateSupervisionStrategy(Deciders.ResumingDecider))
                .ViaMaterialized(KillSwitches.Single<List<IEviEvent>>(), Keep.Right)
                .ToMaterialized(Sink.ForEach<List<IEviEvent>>(events =>
                {
                    foreach (var evt in events) target.Tell(evt, ActorRefs.NoSender);
                    counters.Routed(events);
                }), Keep.Both)
                .Run(system.Materializer(namePrefix: "evi-listener"));

            var receiveLoop = Task.Run(() => ReceiveLoop(socket, queue.Writer, counters, stop.Token));
            var drops = new KernelDropMonitor(new UdpDropReader(local), log, TimeSpan.FromSeconds(1));
            log.Info("EVI listener on {0}, advertised as {1}; kernel drop counter {2}", local, advertised,
                drops.Available ? "from /proc/net/udp" : "unavailable");
            return Task.FromResult(new EviListener(socket, local, advertised, counters, killSwitch, done, receiveLoop, drops, stop));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops receiving, completes the stream and closes the socket. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _drops.Dispose();
        _stop.Cancel();
        _killSwitch.Shutdown();
        try
        {
            await Task.WhenAll(Completion, _receiveLoop).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Shutting down anyway; a failed or slow stream must not block the caller.
        }
        _socket.Dispose();
        _stop.Dispose();
    }

    private static Socket Bind(EviSettings settings, ILoggingAdapter log)
    {
        var ip = IPAddress.TryParse(settings.BindHost, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(settings.BindHost).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
              ?? throw new ConfigurationException($"callcluster.evi.bind-host '{settings.BindHost}' has no IPv4 address");
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            var size = ReceiveBufferSizer.Apply(socket, settings.ReceiveBufferBytes);
            if (size.Granted)
            {
                log.Info("EVI receive buffer: requested {0} bytes, kernel reports {1}{2}", size.Requested, size.Effective,
                    size.Forced ? " (SO_RCVBUFFORCE)" : "");
            }
            else
            {
                log.Warning("EVI receive buffer: requested {0} bytes but the kernel granted only {1} (reported {2}): bursts " +
                    "will be dropped sooner. Raise the cap: sysctl -w net.core.rmem_max={0} (or run with CAP_NET_ADMIN)",
                    size.Requested, OperatingSystem.IsLinux() ? size.Effective / 2 : size.Effective, size.Effective);
            }
            socket.Bind(new IPEndPoint(ip, settings.Port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Advertise(EviSettings settings, IPEndPoint local)
    {
        if (!string.IsNullOrWhiteSpace(settings.Advertise)) return settings.Advertise;
        if (local.Address.Equals(IPAddress.Any))
            throw new ConfigurationException("callcluster.evi.advertise must be set when binding to 0.0.0.0");
        return $"udp:{local.Address}:{local.Port}";
    }

    /// <summary>Only receives: copies each datagram into a pooled buffer of its size and queues it, so the kernel
    /// buffer drains as fast as the socket allows. ReceiveAsync (not ReceiveFromAsync): the sender's address is not
    /// needed, and the ValueTask overload allocates nothing when data is waiting. Completes the queue when it ends.</summary>
    private static async Task ReceiveLoop(Socket socket, ChannelWriter<Datagram> queue, EviCounters counters, CancellationToken stop)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        var errors = 0;
        Exception? failure = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, stop).ConfigureAwait(false);
                    errors = 0;
                }
                catch (SocketException) when (++errors < 1000)
                {
                    continue; // transient (e.g. ICMP reports on some platforms); keep listening
                }
                counters.Received();
                var copy = ArrayPool<byte>.Shared.Rent(n);
                buffer.AsSpan(0, n).CopyTo(copy);
                var datagram = new Datagram(copy, n);
                if (!queue.TryWrite(datagram))
                {
                    counters.QueueFull();
                    await queue.WriteAsync(datagram, stop).ConfigureAwait(false); // full: the kernel buffer takes over
                }
            }
        }
        catch (OperationCanceledException) { /* stopping */ }
        catch (ObjectDisposedException) { /* stopping */ }
        catch (Exception ex) { failure = ex; }
        finally
        {
            queue.TryComplete(failure);
        }
    }

    /// <summary>Parses a batch on a thread-pool thread and returns the pooled buffers. A bad datagram is counted
    /// and skipped, never fails the batch.</summary>
    private static List<IEviEvent> ParseBatch(List<Datagram> batch, EviCounters counters, RateLimitedLog malformedLog)
    {
        var events = new List<IEviEvent>(batch.Count);
        foreach (var datagram in batch)
        {
            try
            {
                switch (EviDatagramParser.Parse(datagram.Bytes.AsSpan(0, datagram.Length), out var evt, out var error))
                {
                    case EviParseStatus.Event:
                        events.Add(evt!);
                        break;
                    case EviParseStatus.Ignored:
                        counters.Ignored();
                        break;
                    default:
                        counters.Malformed();
                        malformedLog.Warning("Malformed EVI datagram ({0} bytes): {1}", datagram.Length, error);
                        break;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(datagram.Bytes);
            }
        }
        return events;
    }

    /// <summary>A received datagram: the first <paramref name="Length"/> bytes of a buffer rented from the shared pool.</summary>
    private readonly record struct Datagram(byte[] Bytes, int Length);

    /// <summary>Counters written by the receive loop and the stream, read by <see cref="Stats"/>.</summary>
    private sealed class EviCounters
    {
        private long _received, _malformed, _ignored, _routed, _queueFull;

        public void Received()
        {
            Interlocked.Increment(ref _received);
            CallClusterMetrics.EviDatagramReceived();
        }

        /// <summary>The queue was full when a datagram arrived: the parse stage is the bottleneck.</summary>
        public void QueueFull() => Interlocked.Increment(ref _queueFull);

        public void Malformed()
        {
            Interlocked.Increment(ref _malformed);
            CallClusterMetrics.EviDatagramMalformed();
        }

        public void Ignored() => Interlocked.Increment(ref _ignored);

        /// <summary>Counts a routed batch: one atomic add and one metric update per event name, not per event.</summary>
        public void Routed(List<IEviEvent> routed)
        {
            int states = 0, transfers = 0, holds = 0;
            foreach (var evt in routed)
            {
                switch (evt)
                {
                    case DialogStateChanged: states++; break;
                    case CallTransferEvent: transfers++; break;
                    default: holds++; break;
                }
            }
            Interlocked.Add(ref _routed, routed.Count);
            if (states > 0) CallClusterMetrics.EviEventRouted(EviDatagramParser.DialogStateChanged, states);
            if (transfers > 0) CallClusterMetrics.EviEventRouted(EviDatagramParser.CallTransfer, transfers);
            if (holds > 0) CallClusterMetrics.EviEventRouted(EviDatagramParser.CallHold, holds);
        }

        public EviStats Snapshot() => new(
            Interlocked.Read(ref _received), Interlocked.Read(ref _malformed),
            Interlocked.Read(ref _ignored), Interlocked.Read(ref _routed))
        {
            QueueFull = Interlocked.Read(ref _queueFull),
        };
    }
}
