namespace CallCluster.Node.Persistence;

/// <summary>Coalesces "highest sequence number of this persistence id" reads (the first step of every entity's
/// recovery) into one query for many ids. A read starts a query at once when fewer than <c>parallelism</c> queries are
/// running, so a lone read waits for nothing; reads that arrive while queries run queue up and go together, up to
/// <c>maxBatchSize</c> ids, in the next query. There is no timer: under load the batch is what queued meanwhile.
/// Thread-safe; the query function runs on the thread pool.</summary>
public sealed class HighestSequenceNrBatcher
{
    /// <summary>Reads the highest stored sequence number of each id (ids without events may be absent).</summary>
    public delegate Task<IReadOnlyDictionary<string, long>> BatchQuery(IReadOnlyList<string> persistenceIds, CancellationToken ct);

    private readonly BatchQuery _query;
    private readonly int _maxBatchSize;
    private readonly int _parallelism;
    private readonly Action<RecoveryReadBatch>? _onBatch;
    private readonly CancellationToken _shutdown;
    private readonly Lock _gate = new();
    private readonly Queue<Request> _queued = new();
    private int _running;

    public HighestSequenceNrBatcher(BatchQuery query, int maxBatchSize, int parallelism, Action<RecoveryReadBatch>? onBatch,
        CancellationToken shutdown)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        _query = query;
        _maxBatchSize = maxBatchSize;
        _parallelism = parallelism;
        _onBatch = onBatch;
        _shutdown = shutdown;
    }

    /// <summary>The highest sequence number of <paramref name="persistenceId"/> above <paramref name="fromSequenceNr"/>,
    /// or 0 when it has none: what <c>SqlWriteJournal.ReadHighestSequenceNrAsync</c> answers.</summary>
    public Task<long> ReadAsync(string persistenceId, long fromSequenceNr)
    {
        var request = new Request(persistenceId, fromSequenceNr, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        List<Request>? batch = null;
        lock (_gate)
        {
            _queued.Enqueue(request);
            if (_running < _parallelism)
            {
                _running++;
                batch = TakeBatch();
            }
        }

        if (batch is not null)
        {
            // Off the caller's thread (the journal actor's): opening a connection must not hold up its mailbox.
            _ = Task.Run(() => RunAsync(batch));
        }

        return request.Promise.Task;
    }

    private async Task RunAsync(List<Request> batch)
    {
        while (true)
        {
            await QueryAsync(batch).ConfigureAwait(false);
            lock (_gate)
            {
                if (_queued.Count == 0)
                {
                    _running--;
                    return;
                }

                batch = TakeBatch();
            }
        }
    }

    private async Task QueryAsync(List<Request> batch)
    {
        try
        {
            var ids = batch.Select(r => r.PersistenceId).Distinct(StringComparer.Ordinal).ToList();
            var found = await _query(ids, _shutdown).ConfigureAwait(false);
            var withEvents = 0;
            foreach (var request in batch)
            {
                // As the plugin's native-mode query: the highest sequence number above fromSequenceNr, else 0.
                var highest = found.TryGetValue(request.PersistenceId, out var max) && max > request.FromSequenceNr ? max : 0;
                withEvents += highest > 0 ? 1 : 0;
                request.Promise.TrySetResult(highest);
            }

            _onBatch?.Invoke(new RecoveryReadBatch(batch.Count, ids.Count, withEvents));
        }
        catch (Exception e)
        {
            foreach (var request in batch)
            {
                request.Promise.TrySetException(e);
            }
        }
    }

    private List<Request> TakeBatch()
    {
        var batch = new List<Request>(Math.Min(_queued.Count, _maxBatchSize));
        while (batch.Count < _maxBatchSize && _queued.TryDequeue(out var request))
        {
            batch.Add(request);
        }

        return batch;
    }

    private sealed record Request(string PersistenceId, long FromSequenceNr, TaskCompletionSource<long> Promise);
}

/// <summary>One batched recovery read: <paramref name="Reads"/> requests answered by one query over
/// <paramref name="Ids"/> distinct persistence ids, <paramref name="WithEvents"/> of the reads found events.
/// Published on the journal's ActorSystem event stream (tests and diagnostics).</summary>
public sealed record RecoveryReadBatch(int Reads, int Ids, int WithEvents);
