using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Akka.Actor;

namespace CallCluster.Gateway.Events;

/// <summary>One EventsSubscribe of one connection (a child of its connection actor): reads the event log after its
/// cursor, page by page, and writes each matching event to the connection's outbound stream as a <c>CallEvent</c>
/// notification carrying the event's cursor. The log is read in offset order and the cursor moves only past what was
/// read, so a client that resumes after the last cursor it saw gets no gap and no repeat (docs/call-events.md).
///
/// States: <see cref="Reading"/> (a page is being read) and <see cref="Waiting"/> (caught up, or the read failed:
/// read again after the poll interval). A client too slow to read is dropped by the outbound stream, which ends the
/// connection and this subscription with it: nothing here buffers more than one page.</summary>
public sealed class EventSubscription : ReceiveActor, IWithTimers
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _id;
    private readonly EventFilter _filter;
    private readonly IActorRef _outbound;
    private readonly EventSource _source;
    private long _cursor;

    public EventSubscription(string id, EventFilter filter, long after, IActorRef outbound, EventSource source)
    {
        _id = id;
        _filter = filter;
        _cursor = after;
        _outbound = outbound;
        _source = source;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string id, EventFilter filter, long after, IActorRef outbound, EventSource source) =>
        Akka.Actor.Props.Create(() => new EventSubscription(id, filter, after, outbound, source));

    /// <summary>The first read starts here, not in the constructor: a ReceiveActor installs its constructor's handlers
    /// after the constructor returns, which would undo a Become made in it.</summary>
    protected override void PreStart() => Read();

    private void Read()
    {
        _source.Feed.Tell(new ReadEvents(_cursor, _source.PageSize), Self);
        Become(Reading);
    }

    private void Reading()
    {
        Receive<EventPage>(page =>
        {
            foreach (var stored in page.Events)
            {
                _cursor = stored.Offset;
                if (_filter.Matches(stored.Event))
                {
                    _outbound.Tell(Notification(stored), ActorRefs.NoSender);
                }
            }

            if (page.Failure is null && page.Events.Count >= _source.PageSize)
            {
                Read(); // more is waiting: no pause
            }
            else
            {
                Timers.StartSingleTimer("poll", Poll.Instance, _source.PollInterval);
                Become(Waiting);
            }
        });
    }

    private void Waiting() => Receive<Poll>(_ => Read());

    private byte[] Notification(StoredCallEvent stored)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("jsonrpc", "2.0");
            w.WriteString("method", "CallEvent");
            w.WriteStartObject("params");
            w.WriteString("subscription", _id);
            w.WriteString("cursor", CallEventJson.Cursor(stored.Offset));
            CallEventJson.WriteFields(w, stored.Event);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed record Poll
    {
        public static readonly Poll Instance = new();
    }
}
