using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Connection;

/// <summary>The commands one connection follows and the order their notifications reach the client: each seq once
/// (duplicates from replays and resends dropped), in seq order (out-of-order ones held until the gap fills, bounded
/// by <see cref="MaxAhead"/>), and none before the Start/Subscribe reply that attached the command (held while the
/// track is <see cref="CommandTrack.Blocking"/>). A gap or a quiet command in flight asks the command to replay what
/// follows the last seq written: after a call node dies, the command restarts elsewhere without its subscribers.
/// Owned by one connection actor and called on its thread only.</summary>
/// <param name="dialect">Renders notifications; its memory relies on each seq arriving once and in order.</param>
/// <param name="write">Sends one frame to the client.</param>
/// <param name="resubscribe">Asks the command to (re)send what follows the given last seq to this connection.</param>
/// <param name="gapSkipped">A seq is given up on (logged by the owner).</param>
/// <param name="clock">Milliseconds, monotonic (Environment.TickCount64).</param>
internal sealed class CommandTracks(
    IDialect dialect,
    Action<byte[]> write,
    Action<string, int> resubscribe,
    Action<string, int> gapSkipped,
    Func<long> clock)
{
    /// <summary>Out-of-order notifications held per command before the gap is given up on (bounded memory).</summary>
    public const int MaxAhead = 256;

    private readonly Dictionary<string, CommandTrack> _tracks = new(StringComparer.Ordinal);

    /// <summary>Commands started on this connection and not yet ended: the connection's in-flight count.</summary>
    public int InFlight { get; private set; }

    public bool TryGet(string cmdId, [NotNullWhen(true)] out CommandTrack? track) => _tracks.TryGetValue(cmdId, out track);

    public bool Contains(string cmdId) => _tracks.ContainsKey(cmdId);

    public CommandTrack GetOrAdd(string cmdId, int lastSeq)
    {
        if (!_tracks.TryGetValue(cmdId, out var track))
        {
            track = new CommandTrack(lastSeq);
            _tracks.Add(cmdId, track);
        }

        return track;
    }

    /// <summary>A command started here counts against the connection's cap (and holds the token's permit) until it
    /// ends or is forgotten.</summary>
    public void CountInFlight(CommandTrack track, RateLimitLease? lease)
    {
        track.CountsInFlight = true;
        track.Lease = lease;
        InFlight++;
    }

    /// <summary>A Start or Subscribe reply of the command is pending: its notifications wait for it.</summary>
    public void Block(string cmdId) => _tracks[cmdId].Blocking++;

    /// <summary>The command service accepted a Start or Subscribe of the command for this connection.</summary>
    public void MarkAttached(string cmdId)
    {
        if (_tracks.TryGetValue(cmdId, out var track))
        {
            track.Attached = true;
            track.LastActivityMs = clock();
        }
    }

    /// <summary>Asks the command to (re)send what follows the track's last seq. Subscribing again is idempotent at
    /// the entity.</summary>
    public void Resubscribe(string cmdId, CommandTrack track)
    {
        track.LastActivityMs = clock();
        resubscribe(cmdId, track.LastSeq);
    }

    /// <summary>Commands in flight that showed no life for <paramref name="quietMs"/> may have lost this subscriber in
    /// a failover: ask each once more.</summary>
    public void ResubscribeQuiet(long now, long quietMs)
    {
        foreach (var (cmdId, track) in _tracks)
        {
            if (track.Attached && !track.Ended && now - track.LastActivityMs >= quietMs)
            {
                Resubscribe(cmdId, track);
            }
        }
    }

    public void OnNotification(CommandNotification n)
    {
        if (!_tracks.TryGetValue(n.CmdId, out var track) || n.Seq <= track.LastSeq)
        {
            return; // duplicate, or a command this connection no longer follows
        }

        if (n.Seq != track.LastSeq + 1)
        {
            // Before the command answered, its replay fills any gap by itself.
            if (track.Ahead is null && track.Attached)
            {
                Resubscribe(n.CmdId, track);
            }

            var ahead = track.Ahead ??= new SortedList<int, CommandNotification>();
            ahead.TryAdd(n.Seq, n);
            if (ahead.Count > MaxAhead)
            {
                // The missing seq is not coming (lost in a failover): deliver what we have, in order.
                gapSkipped(n.CmdId, track.LastSeq + 1);
                DrainAhead(track, skipGaps: true);
            }

            AfterDelivery(n.CmdId, track);
            return;
        }

        Deliver(track, n);
        DrainAhead(track, skipGaps: false);
        AfterDelivery(n.CmdId, track);
    }

    /// <summary>A reply that held the command's notifications back has been written: write what waited, and forget a
    /// command that has nothing more to say to this connection.</summary>
    public void Release(string cmdId)
    {
        if (!_tracks.TryGetValue(cmdId, out var track))
        {
            return;
        }

        track.Blocking--;
        if (track.Blocking > 0)
        {
            return;
        }

        if (track.Held is { } held)
        {
            track.Held = null;
            foreach (var n in held)
            {
                WriteNotification(track, n);
            }
        }

        // Finished (Ended written) or never accepted (rejected, timed out): nothing more will come for it.
        if (track.Ended || !track.Attached)
        {
            Remove(cmdId, track);
        }
    }

    /// <summary>The connection is gone: every command's permit is returned. Returns the commands followed, which keep
    /// running without this connection.</summary>
    public IReadOnlyList<string> Forget()
    {
        var cmdIds = _tracks.Keys.ToList();
        foreach (var track in _tracks.Values)
        {
            track.Lease?.Dispose();
        }

        _tracks.Clear();
        return cmdIds;
    }

    private void DrainAhead(CommandTrack track, bool skipGaps)
    {
        var ahead = track.Ahead;
        while (ahead is { Count: > 0 } && (skipGaps || ahead.Keys[0] == track.LastSeq + 1))
        {
            var next = ahead.Values[0];
            ahead.RemoveAt(0);
            if (next.Seq > track.LastSeq)
            {
                Deliver(track, next);
            }
        }

        if (ahead is { Count: 0 })
        {
            track.Ahead = null;
        }
    }

    private void Deliver(CommandTrack track, CommandNotification n)
    {
        track.LastSeq = n.Seq;
        track.LastActivityMs = clock();
        if (n.Kind == NotificationKind.Ended)
        {
            track.Ended = true;
        }

        if (track.Blocking > 0)
        {
            (track.Held ??= []).Add(n);
        }
        else
        {
            WriteNotification(track, n);
        }
    }

    /// <summary>Notifications reach here once each and in seq order, which is what a dialect's memory relies on.</summary>
    private void WriteNotification(CommandTrack track, CommandNotification n)
    {
        var rendered = dialect.Render(n, track.Memory);
        track.Memory = rendered.Memory;
        foreach (var frame in rendered.Frames)
        {
            write(frame);
        }
    }

    private void AfterDelivery(string cmdId, CommandTrack track)
    {
        if (track.Ended && track.Blocking == 0)
        {
            Remove(cmdId, track);
        }
    }

    private void Remove(string cmdId, CommandTrack track)
    {
        _tracks.Remove(cmdId);
        if (track.CountsInFlight)
        {
            InFlight--;
        }

        track.Lease?.Dispose();
        track.Lease = null;
    }
}
