using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using CallCluster.Contracts.Events;
using CallCluster.Gateway.Events;

namespace CallCluster.Node.Events;

/// <summary>Reads the call-event log for this process's subscriptions and webhook endpoints: pages of events after an
/// offset (<see cref="ReadEvents"/>) and the offset of the newest (<see cref="GetEventHead"/>). Every read runs off the
/// actor thread and is piped to the asker, so one slow query holds up no one else.
///
/// The head is found once by an exponential then binary search over "is there an event after x" (the SQL read journal
/// has no max-offset query; about 2 log2(n) indexed reads), then kept current by paging forward from it.</summary>
public sealed class EventFeed : ReceiveActor
{
    private readonly Func<ICurrentEventsByTagQuery> _journalFactory;
    private ICurrentEventsByTagQuery? _journal;
    private readonly IMaterializer _materializer;
    private long _knownHead = -1;

    public EventFeed(Func<ICurrentEventsByTagQuery>? journal = null)
    {
        // Captured here: the reads continue off the actor thread, where Context is not available.
        var system = Context.System;
        _materializer = system.Materializer();
        _journalFactory = journal ?? (() => PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier));
        Receive<ReadEvents>(r => ReadAsync(r.After, r.Max).PipeTo(Sender, success: e => new EventPage(e),
            failure: ex => new EventPage([], ex.GetBaseException().Message)));
        Receive<GetEventHead>(_ =>
        {
            var sender = Sender;
            HeadAsync(_knownHead).PipeTo(Self, success: h => new HeadFound(h, sender, null),
                failure: ex => new HeadFound(-1, sender, ex.GetBaseException().Message));
        });
        Receive<HeadFound>(h =>
        {
            _knownHead = Math.Max(_knownHead, h.Head);
            h.ReplyTo.Tell(h.Failure is null ? new EventHead(h.Head) : new EventHead(0, h.Failure));
        });
    }

    public static Props Props(Func<ICurrentEventsByTagQuery>? journal = null) => Akka.Actor.Props.Create(() => new EventFeed(journal));

    /// <summary>Created on first use (not in the constructor): a process that never reads events opens no read journal.
    /// Read-only after that, so the reads running off the actor thread may share it.</summary>
    private ICurrentEventsByTagQuery Journal => _journal ??= _journalFactory();

    private async Task<IReadOnlyList<StoredCallEvent>> ReadAsync(long after, int max)
    {
        var envelopes = await Journal.CurrentEventsByTag(CallEventNames.Tag, Offset.Sequence(after))
            .Take(max)
            .RunWith(Sink.Seq<EventEnvelope>(), _materializer).ConfigureAwait(false);
        var events = new List<StoredCallEvent>(envelopes.Count);
        foreach (var envelope in envelopes)
        {
            if (envelope.Event is CallEventRecorded e)
            {
                events.Add(new StoredCallEvent(((Sequence)envelope.Offset).Value, e));
            }
        }

        return events;
    }

    private async Task<long> HeadAsync(long known)
    {
        if (known < 0)
        {
            // Exponential search for an x with no event after it, then binary search down to the newest event.
            long low = 0, high = 1;
            while (await AnyAfterAsync(high).ConfigureAwait(false))
            {
                low = high;
                high *= 2;
            }

            while (high - low > 1)
            {
                var mid = low + ((high - low) / 2);
                if (await AnyAfterAsync(mid).ConfigureAwait(false))
                {
                    low = mid;
                }
                else
                {
                    high = mid;
                }
            }

            known = await AnyAfterAsync(low).ConfigureAwait(false) ? high : low;
        }

        // From the last known head, forward to the newest.
        while (true)
        {
            var page = await ReadAsync(known, 1000).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return known;
            }

            known = page[^1].Offset;
        }
    }

    private async Task<bool> AnyAfterAsync(long offset) => (await ReadAsync(offset, 1).ConfigureAwait(false)).Count > 0;

    private sealed record HeadFound(long Head, IActorRef ReplyTo, string? Failure);
}
