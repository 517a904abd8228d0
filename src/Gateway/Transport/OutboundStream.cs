using System.Net.WebSockets;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace CallCluster.Gateway.Transport;

/// <summary>The per-connection write path: frames told to <see cref="Writer"/> are sent one at a time on the
/// WebSocket. A bounded buffer with OverflowStrategy.Fail: a client that stops reading costs at most
/// bufferSize frames, then <see cref="Completion"/> fails with <see cref="BufferOverflowException"/>.</summary>
public sealed class OutboundStream
{
    private OutboundStream(IActorRef writer, Task completion)
    {
        Writer = writer;
        Completion = completion;
    }

    /// <summary>Tell it UTF-8 frames (byte[]); <c>Status.Success</c> completes after the buffered frames are sent.</summary>
    public IActorRef Writer { get; }

    public Task Completion { get; }

    public static OutboundStream Start(WebSocket socket, int bufferSize, IMaterializer materializer)
    {
        var (writer, completion) = Source.ActorRef<byte[]>(bufferSize, OverflowStrategy.Fail)
            .SelectAsync(1, async frame =>
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None)
                    .ConfigureAwait(false);
                return NotUsed.Instance;
            })
            .ToMaterialized(Sink.Ignore<NotUsed>(), Keep.Both)
            .Run(materializer);
        return new OutboundStream(writer, completion);
    }

    public static bool IsOverflow(Exception? e) =>
        e is BufferOverflowException || e?.InnerException is BufferOverflowException
        || (e is AggregateException a && a.InnerExceptions.Any(IsOverflow));
}
