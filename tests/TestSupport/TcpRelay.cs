using System.Net;
using System.Net.Sockets;

namespace CallCluster.TestSupport;

/// <summary>A TCP relay on 127.0.0.1 in front of a server (PostgreSQL): <see cref="Cut"/> closes every connection
/// and refuses new ones, as a stopped server would, without touching the shared server; <see cref="Restore"/> listens
/// again on the same port.</summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly List<(TcpClient Client, TcpClient Upstream)> _pairs = [];
    private readonly object _lock = new();
    private TcpListener? _listener;
    private CancellationTokenSource _stop = new();

    public TcpRelay(IPEndPoint target)
    {
        _target = target;
        Port = FreePort.Tcp();
        Restore();
    }

    public int Port { get; }

    public void Cut()
    {
        lock (_lock)
        {
            _stop.Cancel();
            _listener?.Stop();
            _listener = null;
            foreach (var (client, upstream) in _pairs)
            {
                client.Dispose();
                upstream.Dispose();
            }

            _pairs.Clear();
        }
    }

    public void Restore()
    {
        lock (_lock)
        {
            _stop = new CancellationTokenSource();
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            _ = AcceptLoop(_listener, _stop.Token);
        }
    }

    private async Task AcceptLoop(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(_target, stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_lock)
            {
                if (stop.IsCancellationRequested)
                {
                    client.Dispose();
                    upstream.Dispose();
                    return;
                }

                _pairs.Add((client, upstream));
            }

            _ = Pump(client, upstream, stop);
            _ = Pump(upstream, client, stop);
        }
    }

    private static async Task Pump(TcpClient from, TcpClient to, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var n = await input.ReadAsync(buffer, stop);
                if (n == 0) break;
                await output.WriteAsync(buffer.AsMemory(0, n), stop);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
            // Cut, or one side closed.
        }

        from.Dispose();
        to.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }
}
