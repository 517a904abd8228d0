using System.Net.WebSockets;
using Akka.Actor;

namespace CallCluster.Gateway.Transport;

/// <summary>The per-connection write path: frames told to <see cref="Writer"/> are sent one at a time on the
/// WebSocket. Bounded twice: at most <c>maxFrames</c> frames waiting and at most <c>maxBytes</c> bytes waiting or being
/// sent. A client that stops reading fills the kernel's socket buffers, then this queue; past either bound
/// <see cref="Completion"/> fails with <see cref="OutboundOverflowException"/> and the writer stops (the session closes
/// the connection with 1008). The cost of a client that never reads is therefore the socket buffers plus these bounds,
/// never more (docs/faults-and-bad-input.md).</summary>
public sealed class OutboundStream
{
    private OutboundStream(IActorRef writer, Task completion)
    {
        Writer = writer;
        Completion = completion;
    }

    /// <summary>Tell it UTF-8 frames (byte[]); <c>Status.Success</c> completes after the queued frames are sent;
    /// <c>Status.Failure</c> fails it at once. It stops when it completes or fails (watch it).</summary>
    public IActorRef Writer { get; }

    public Task Completion { get; }

    public static OutboundStream Start(WebSocket socket, int maxFrames, long maxBytes, IActorRefFactory factory, string name)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = factory.ActorOf(Props.Create(() => new OutboundWriter(socket, maxFrames, maxBytes, done)), name);
        return new OutboundStream(writer, done.Task);
    }

    public static bool IsOverflow(Exception? e) =>
        e is OutboundOverflowException || e?.InnerException is OutboundOverflowException
        || (e is AggregateException a && a.InnerExceptions.Any(IsOverflow));
}

/// <summary>The outbound queue of a connection went past its bound: the client is not reading.</summary>
public sealed class OutboundOverflowException(string message) : Exception(message);

/// <summary>Owns the queue; one SendAsync at a time (a WebSocket allows no more), its end piped back.</summary>
internal sealed class OutboundWriter(WebSocket socket, int maxFrames, long maxBytes, TaskCompletionSource done) : UntypedActor
{
    private readonly Queue<byte[]> _queue = new();
    private long _bytes; // queued plus the one being sent
    private int _sendingLength = -1;
    private bool _completing;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case byte[] frame:
                if (_completing)
                {
                    return;
                }

                if (_queue.Count >= maxFrames || (_bytes > 0 && _bytes + frame.Length > maxBytes))
                {
                    Fail(new OutboundOverflowException(
                        $"outbound queue full ({_queue.Count} frames, {_bytes} bytes; bounds {maxFrames} frames, {maxBytes} bytes)"));
                    return;
                }

                _queue.Enqueue(frame);
                _bytes += frame.Length;
                SendNext();
                return;
            case Sent:
                _bytes -= _sendingLength;
                _sendingLength = -1;
                SendNext();
                return;
            case SendFailed failed:
                Fail(failed.Error);
                return;
            case Status.Success:
                _completing = true;
                SendNext();
                return;
            case Status.Failure failure:
                Fail(failure.Cause);
                return;
        }
    }

    protected override void PostStop()
    {
        // Stopped from outside (system shutdown): the session must not wait for it.
        done.TrySetException(new OperationCanceledException("outbound writer stopped"));
        _queue.Clear();
    }

    private void SendNext()
    {
        if (_sendingLength >= 0)
        {
            return;
        }

        if (_queue.Count == 0)
        {
            if (_completing)
            {
                done.TrySetResult();
                Context.Stop(Self);
            }

            return;
        }

        var frame = _queue.Dequeue();
        _sendingLength = frame.Length;
        var self = Self;
        _ = SendAsync(frame, self);
    }

    private async Task SendAsync(byte[] frame, IActorRef self)
    {
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            self.Tell(Sent.Instance);
        }
        catch (Exception e)
        {
            self.Tell(new SendFailed(e));
        }
    }

    private void Fail(Exception e)
    {
        done.TrySetException(e);
        _queue.Clear();
        Context.Stop(Self);
    }

    private sealed record Sent
    {
        public static readonly Sent Instance = new();
    }

    private sealed record SendFailed(Exception Error);
}
