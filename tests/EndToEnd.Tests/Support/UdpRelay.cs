using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>A UDP relay on 127.0.0.1 between a client and a server (real sockets): each client gets its own upstream
/// socket, so replies find their way back. Datagrams in either direction can be dropped (a seeded share) or held
/// back (<see cref="DelayReply"/>), to stand for a lossy or slow network between the node and OpenSIPS.</summary>
public sealed class UdpRelay : IAsyncDisposable
{
    private readonly Socket _listen = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<EndPoint, Socket> _upstreams = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random;
    private readonly object _randomLock = new();
    private readonly Task _loop;
    private long _forwarded, _dropped, _delayed;

    public UdpRelay(IPEndPoint target, int seed, int listenPort = 0)
    {
        _target = target;
        _random = new Random(seed);
        _listen.Bind(new IPEndPoint(IPAddress.Loopback, listenPort));
        EndPoint = (IPEndPoint)_listen.LocalEndPoint!;
        _loop = Task.Run(ListenLoop);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Share (0..1) of datagrams dropped, each direction; may be changed while running.</summary>
    public double DropShare { get; set; }

    /// <summary>For a datagram from the server: how long to hold it back (null = forward now).</summary>
    public Func<byte[], TimeSpan?>? DelayReply { get; set; }

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Delayed => Interlocked.Read(ref _delayed);

    private bool Drop()
    {
        var share = DropShare;
        if (share <= 0) return false;
        lock (_randomLock)
        {
            if (_random.NextDouble() >= share) return false;
        }

        Interlocked.Increment(ref _dropped);
        return true;
    }

    private async Task ListenLoop()
    {
        var buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _listen.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }
            catch (ObjectDisposedException) { return; }

            if (Drop()) continue;
            var client = r.RemoteEndPoint;
            var upstream = _upstreams.GetOrAdd(client, c =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                s.Connect(_target);
                _ = Task.Run(() => UpstreamLoop(s, c));
                return s;
            });
            try
            {
                upstream.Send(buffer.AsSpan(0, r.ReceivedBytes));
                Interlocked.Increment(ref _forwarded);
            }
            catch (SocketException)
            {
                // The server is down (ICMP unreachable): the datagram is lost, as on a real network.
            }
            catch (ObjectDisposedException) { return; }
        }
    }

    private async Task UpstreamLoop(Socket upstream, EndPoint client)
    {
        var buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await upstream.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; } // ICMP port unreachable while the server is down
            catch (ObjectDisposedException) { return; }

            if (Drop()) continue;
            var datagram = buffer.AsSpan(0, n).ToArray();
            if (DelayReply?.Invoke(datagram) is { } delay && delay > TimeSpan.Zero)
            {
                Interlocked.Increment(ref _delayed);
                _ = Task.Delay(delay, _stop.Token).ContinueWith(t =>
                {
                    if (!t.IsCanceled) SendBack(datagram, client);
                }, TaskScheduler.Default);
                continue;
            }

            SendBack(datagram, client);
        }
    }

    private void SendBack(byte[] datagram, EndPoint client)
    {
        try
        {
            _listen.SendTo(datagram, client);
            Interlocked.Increment(ref _forwarded);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Client gone or relay stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listen.Dispose();
        foreach (var s in _upstreams.Values) s.Dispose();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
