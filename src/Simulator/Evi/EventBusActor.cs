using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Akka.Actor;
using CallCluster.Simulator.Faults;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Evi;

/// <summary>
/// event_datagram + the EVI core: keeps subscriptions and sends each raised event to every live subscriber.
/// Events leave from a rotating pool of unbound sockets, so the source port changes like OpenSIPS's per-worker sockets.
/// </summary>
public sealed class EventBusActor : ReceiveActor
{
    private sealed record Subscriber(string SocketText, IPEndPoint Destination, long SubscribedAt, int Expire);

    private readonly MiReplier _replier;
    private readonly Outbound _outbound;
    private readonly Func<long> _now;
    private readonly Socket[] _pool;
    private int _next;
    // Per event (catalog order), subscribers in subscription order: lists stay in the order OpenSIPS shows them.
    private readonly List<Subscriber>[] _subs;

    public EventBusActor(MiReplier replier, Outbound outbound, int poolSize, Func<long>? clock = null)
    {
        _replier = replier;
        _outbound = outbound;
        _now = clock ?? (() => DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        _pool = new Socket[Math.Max(1, poolSize)];
        for (var i = 0; i < _pool.Length; i++) _pool[i] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _subs = new List<Subscriber>[EventCatalog.Names.Length];
        for (var i = 0; i < _subs.Length; i++) _subs[i] = [];

        Receive<Subscribe>(OnSubscribe);
        Receive<RaiseEvent>(OnRaise);
        Receive<EviQuery>(OnQuery);
    }

    public static Props Props(MiReplier replier, Outbound outbound, int poolSize) =>
        Akka.Actor.Props.Create(() => new EventBusActor(replier, outbound, poolSize, null));

    protected override void PostStop()
    {
        foreach (var s in _pool) s.Dispose();
    }

    private void OnSubscribe(Subscribe s)
    {
        var list = _subs[EventCatalog.IdOf(s.Event)];
        // Refresh matches on the very same socket text; expire 0 marks the subscriber expired (kept until the second passes).
        var idx = list.FindIndex(x => x.SocketText == s.SocketText);
        var sub = new Subscriber(s.SocketText, s.Destination, _now(), s.Expire);
        if (idx >= 0) list[idx] = sub;
        else if (s.Expire > 0) list.Add(sub);
        _replier.Reply(s.Reply, MiResult.OkString);
    }

    private void OnRaise(RaiseEvent e)
    {
        var id = EventCatalog.IdOf(e.Name);
        if (id < 0) return;
        var list = _subs[id];
        Purge(list);
        if (list.Count == 0) return;
        var bytes = EventSerializer.Serialize(e);
        foreach (var s in list)
        {
            var socket = _pool[_next];
            _next = (_next + 1) % _pool.Length;
            _outbound.Send(socket, bytes, s.Destination);
        }
    }

    /// <summary>A subscriber is dropped silently once now &gt; subscribe time + expire (checked on raise and on list).</summary>
    private void Purge(List<Subscriber> list)
    {
        var now = _now();
        list.RemoveAll(s => now > s.SubscribedAt + s.Expire);
    }

    private void OnQuery(EviQuery q)
    {
        if (q.Command == MiCommands.EventsList)
        {
            _replier.Reply(q.Reply, MiResult.Ok(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("Events");
                for (var i = 0; i < EventCatalog.Names.Length; i++)
                {
                    w.WriteStartObject();
                    w.WriteString("name", EventCatalog.Names[i]);
                    w.WriteNumber("id", i);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }));
            return;
        }

        foreach (var l in _subs) Purge(l);
        var now = _now();
        var eventName = q.Args.Str("event");
        if (eventName is null)
        {
            // Snapshot now: the writer runs later, outside this message.
            var all = Enumerable.Range(0, _subs.Length).Where(i => _subs[i].Count > 0).Select(i => (i, _subs[i].ToArray())).ToArray();
            _replier.Reply(q.Reply, MiResult.Ok(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("Events");
                foreach (var (i, subs) in all)
                {
                    w.WriteStartObject();
                    w.WriteString("name", EventCatalog.Names[i]);
                    w.WriteNumber("id", i);
                    w.WriteStartArray("Subscribers");
                    foreach (var s in subs) WriteSubscriber(w, s, now);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }));
            return;
        }

        var id = EventCatalog.IdOf(eventName);
        if (id < 0)
        {
            _replier.Reply(q.Reply, MiResult.Error(404, "Event not published"));
            return;
        }
        var list = _subs[id].ToArray();
        var socketText = q.Args.Str("socket");
        if (socketText is null)
        {
            _replier.Reply(q.Reply, MiResult.Ok(w =>
            {
                w.WriteStartObject();
                w.WriteStartObject("Event");
                if (list.Length > 0)
                {
                    w.WriteString("name", eventName);
                    w.WriteNumber("id", id);
                    w.WriteStartArray("Subscribers");
                    foreach (var s in list) WriteSubscriber(w, s, now);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }));
            return;
        }
        var one = Array.Find(list, s => s.SocketText == socketText);
        if (one is null)
        {
            _replier.Reply(q.Reply, MiResult.Error(404, "Subscriber does not exist"));
            return;
        }
        _replier.Reply(q.Reply, MiResult.Ok(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("Event");
            w.WriteString("name", eventName);
            w.WriteNumber("id", id);
            w.WritePropertyName("Subscriber");
            WriteSubscriber(w, one, now);
            w.WriteEndObject();
            w.WriteEndObject();
        }));
    }

    private static void WriteSubscriber(Utf8JsonWriter w, Subscriber s, long now)
    {
        w.WriteStartObject();
        w.WriteString("socket", s.SocketText);
        w.WriteNumber("expire", s.Expire);
        if (s.Expire == 0) w.WriteString("ttl", "expired");
        else w.WriteNumber("ttl", s.SubscribedAt + s.Expire - now);
        w.WriteEndObject();
    }
}
