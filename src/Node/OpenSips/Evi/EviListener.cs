using CallCluster.Hosting.Metrics;
using System.Net;
using System.Net.Sockets;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Supervision;
using Akka.Util;
using CallCluster.Contracts.Dialogs;

namespace CallCluster.Node.OpenSips;

/// <summary>Receives OpenSIPS event datagrams from any source address/port and streams the typed events to
/// a target (the dialog shard region): socket → parse → Tell. Memory is bounded: the source only receives
/// when downstream pulls, so a slow consumer leaves datagrams in the kernel buffer.</summary>
public sealed class EviListener : IAsyncDisposable
{
    private const int MaxDatagram = 65536;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop;
    private readonly EviCounters _counters;
    private readonly UniqueKillSwitch _killSwitch;
    private int _disposed;

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The exact <c>udp:ip:port</c> string to subscribe with (refreshes must repeat it verbatim).</summary>
    public string AdvertisedSocket { get; }

    /// <summary>Completes when the stream stops (after <see cref="DisposeAsync"/>).</summary>
    public Task Completion { get; }

    public EviStats Stats => _counters.Snapshot();

    private EviListener(Socket socket, IPEndPoint local, string advertised, EviCounters counters,
        UniqueKillSwitch killSwitch, Task completion, CancellationTokenSource stop)
    {
        _socket = socket;
        LocalEndPoint = local;
        AdvertisedSocket = advertised;
        _counters = counters;
        _killSwitch = killSwitch;
        Completion = completion;
        _stop = stop;
    }

    public static Task<EviListener> Start(ActorSystem system, EviSettings settings, IActorRef target)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(target);
        var socket = Bind(settings);
        try
        {
            var local = (IPEndPoint)socket.LocalEndPoint!;
            var advertised = Advertise(settings, local);
            var counters = new EviCounters();
            var log = Logging.GetLogger(system, typeof(EviListener));
            var stop = new CancellationTokenSource();
            var malformedLog = new RateLimitedLog(log, TimeSpan.FromSeconds(1));

            var (killSwitch, done) = Source
                .UnfoldAsync<Socket, byte[]>(socket, s => ReceiveNext(s, counters, stop.Token))
                .Select(bytes => Route(bytes, counters, malformedLog))
                .Where(evt => evt is not null)
                .WithAttributes(ActorAttributes.CreateSupervisionStrategy(Deciders.ResumingDecider))
                .ViaMaterialized(KillSwitches.Single<IEviEvent?>(), Keep.Right)
                .ToMaterialized(Sink.ForEach<IEviEvent?>(evt =>
                {
                    target.Tell(evt!, ActorRefs.NoSender);
                    counters.Routed(evt!);
                }), Keep.Both)
                .Run(system.Materializer(namePrefix: "evi-listener"));

            log.Info("EVI listener on {0}, advertised as {1}", local, advertised);
            return Task.FromResult(new EviListener(socket, local, advertised, counters, killSwitch, done, stop));
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
        _stop.Cancel();
        _killSwitch.Shutdown();
        try
        {
            await Completion.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Shutting down anyway; a failed or slow stream must not block the caller.
        }
        _socket.Dispose();
        _stop.Dispose();
    }

    private static Socket Bind(EviSettings settings)
    {
        var ip = IPAddress.TryParse(settings.BindHost, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(settings.BindHost).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
              ?? throw new ConfigurationException($"callcluster.evi.bind-host '{settings.BindHost}' has no IPv4 address");
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = settings.ReceiveBufferBytes; // best effort; the kernel may cap it
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

    /// <summary>One receive per downstream pull; a cancelled receive ends the stream.</summary>
    private static async Task<Option<(Socket, byte[])>> ReceiveNext(Socket socket, EviCounters counters, CancellationToken stop)
    {
        var buffer = counters.ReceiveBuffer;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
                counters.Received();
                return Option<(Socket, byte[])>.Create((socket, buffer.AsSpan(0, n).ToArray()));
            }
            catch (OperationCanceledException) { return Option<(Socket, byte[])>.None; }
            catch (ObjectDisposedException) { return Option<(Socket, byte[])>.None; }
            catch (SocketException) when (attempt < 1000)
            {
                // Transient (e.g. ICMP reports on some platforms); keep listening.
            }
        }
    }

    private static IEviEvent? Route(byte[] datagram, EviCounters counters, RateLimitedLog malformedLog)
    {
        switch (EviDatagramParser.Parse(datagram, out var evt, out var error))
        {
            case EviParseStatus.Event:
                return evt;
            case EviParseStatus.Ignored:
                counters.Ignored();
                return null;
            default:
                counters.Malformed();
                malformedLog.Warning("Malformed EVI datagram ({0} bytes): {1}", datagram.Length, error);
                return null;
        }
    }

    /// <summary>Counters written by the stream, read by <see cref="Stats"/>; plus the single receive buffer
    /// (one receive is outstanding at a time, and its bytes are copied before the next).</summary>
    private sealed class EviCounters
    {
        private long _received, _malformed, _ignored, _routed;
        public readonly byte[] ReceiveBuffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);

        public void Received()
        {
            Interlocked.Increment(ref _received);
            CallClusterMetrics.EviDatagramReceived();
        }

        public void Malformed()
        {
            Interlocked.Increment(ref _malformed);
            CallClusterMetrics.EviDatagramMalformed();
        }

        public void Ignored() => Interlocked.Increment(ref _ignored);

        public void Routed(IEviEvent routed)
        {
            Interlocked.Increment(ref _routed);
            CallClusterMetrics.EviEventRouted(routed switch
            {
                DialogStateChanged => EviDatagramParser.DialogStateChanged,
                CallTransferEvent => EviDatagramParser.CallTransfer,
                _ => EviDatagramParser.CallHold,
            });
        }

        public EviStats Snapshot() => new(
            Interlocked.Read(ref _received), Interlocked.Read(ref _malformed),
            Interlocked.Read(ref _ignored), Interlocked.Read(ref _routed));
    }
}
