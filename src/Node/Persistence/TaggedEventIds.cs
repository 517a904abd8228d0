using Akka.Actor;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using Akka.Persistence.Sql.Extensions;
using Akka.Persistence.Sql.Journal.Types;
using LinqToDB;
using LinqToDB.Async;

namespace CallCluster.Node.Persistence;

/// <summary>Where one tag's events are and whose they are, without the events: (ordering, persistence id) of the tag's
/// rows above an offset, read through <see cref="TagOrderingIndex"/> (one range of one index, and a primary-key look at
/// each journal row for its deleted flag and write time; the event itself is never read).
///
/// Why not the read journal's CurrentEventsByTag: it joins every row with the journal, reads and deserializes each
/// event and its tags, and on SQLite sorts everything between the offset and the journal's end once per 500-row page.
/// The command resumer needs only the ids, for every command opened since its watermark (tens of thousands under
/// load): through CurrentEventsByTag one scan outlasted the 30 s between scans, so scans ran back to back and kept a
/// read open all the time, which also stopped SQLite from ever restarting its write-ahead log (8.7 GB after 84,000
/// CallEnds; docs/persistence.md, "Reads by tag").</summary>
public sealed class TaggedEventIds
{
    private readonly AkkaPersistenceDataConnectionFactory _factory;
    private readonly System.Data.IsolationLevel _isolation;
    private readonly int _pageSize;

    /// <param name="pageSize">Rows per query: each page is one short read transaction.</param>
    public TaggedEventIds(JournalConfig journal, int pageSize = 10_000)
    {
        _factory = new AkkaPersistenceDataConnectionFactory(journal);
        _isolation = journal.ReadIsolationLevel;
        _pageSize = pageSize;
    }

    /// <summary>From the configured SQL journal of <paramref name="system"/>.</summary>
    public static TaggedEventIds For(ActorSystem system) => new(SqlJournalSettings.Read(system));

    /// <summary>The rows tagged <paramref name="tag"/> above <paramref name="after"/>, in journal order, skipping rows of
    /// deleted events (as CurrentEventsByTag does). The retention sweeper bounds the read: it stops at the first row
    /// whose event was written later than <paramref name="writtenAtMost"/> (ticks, as the journal stamps them) and after
    /// <paramref name="max"/> rows ("which ended commands are past the retention?"); the resumer reads everything.</summary>
    public async Task<IReadOnlyList<(long Offset, string PersistenceId)>> ReadAsync(string tag, long after,
        long writtenAtMost = long.MaxValue, int max = int.MaxValue, CancellationToken cancellationToken = default)
    {
        var rows = new List<(long Offset, string PersistenceId)>();
        var from = after;
        while (rows.Count < max)
        {
            var take = Math.Min(_pageSize, max - rows.Count);
            var above = from;
            var page = await _factory.ExecuteWithTransactionAsync(_isolation, cancellationToken, (connection, token) =>
                (from t in connection.GetTable<JournalTagRow>()
                 join j in connection.GetTable<JournalRow>() on t.OrderingId equals j.Ordering
                 where t.TagValue == tag && t.OrderingId > above && !j.Deleted
                 orderby t.OrderingId
                 select new { t.OrderingId, t.PersistenceId, j.Timestamp })
                .Take(take)
                .ToListAsync(token)).ConfigureAwait(false);
            foreach (var row in page)
            {
                if (row.Timestamp > writtenAtMost)
                {
                    return rows;
                }

                rows.Add((row.OrderingId, row.PersistenceId));
            }

            if (page.Count < take)
            {
                return rows;
            }

            from = page[^1].OrderingId;
        }

        return rows;
    }
}
