using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Connection;

/// <summary>Writes a connection's replies in protocol order. A reply to a lone request is written at once; a reply to
/// a request of a batch frame goes into its slot, and the batch is written as one array once the frame is sealed and
/// every slot is filled. A Start or Subscribe reply holds its command's notifications back until it is written: the
/// command is released right after its reply leaves (or after its batch does).</summary>
/// <param name="write">Sends one frame to the client.</param>
/// <param name="release">The reply that held a command's notifications back has been written.</param>
internal sealed class ReplyWriter(Action<byte[]> write, Action<string> release)
{
    /// <summary>A batch frame's replies, slot by slot in request order (JSON-RPC notifications get no slot).</summary>
    public static BatchReply NewBatch(IReadOnlyList<RpcItem> items)
    {
        var slots = 0;
        foreach (var item in items)
        {
            if (item.WantsReply) slots++;
        }

        return new BatchReply(slots);
    }

    /// <summary>One reply, alone (<paramref name="batch"/> null) or in its batch slot.</summary>
    /// <param name="releases">The command whose notifications wait for this reply, if any.</param>
    public void Send(BatchReply? batch, int slot, byte[] reply, string? releases = null)
    {
        if (batch is null)
        {
            write(reply);
            if (releases is not null)
            {
                release(releases);
            }

            return;
        }

        batch.Slots[slot] = reply;
        batch.Filled++;
        if (releases is not null)
        {
            batch.ToUnblock.Add(releases);
        }

        TryFlush(batch);
    }

    /// <summary>Every request of the frame has been handled (some may still wait for an answer).</summary>
    public void Seal(BatchReply batch)
    {
        batch.Sealed = true;
        TryFlush(batch);
    }

    private void TryFlush(BatchReply batch)
    {
        if (!batch.Sealed || batch.Flushed || batch.Filled < batch.Slots.Length)
        {
            return;
        }

        batch.Flushed = true;
        if (batch.Slots.Length > 0)
        {
            write(JsonRpcWriter.Batch(batch.Slots!));
        }

        foreach (var cmdId in batch.ToUnblock)
        {
            release(cmdId);
        }
    }
}
