using System.Text.Json;
using System.Threading.RateLimiting;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Connection;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Tests.Connection;

/// <summary>Each seq once and in order, none before the reply that attached the command, replay asked on a gap or a
/// quiet command, and a bounded wait for a seq that never comes.</summary>
public sealed class CommandTracksTests
{
    private readonly List<int> _written = [];
    private readonly List<(string CmdId, int LastSeq)> _resubscribed = [];
    private readonly List<(string CmdId, int Seq)> _skipped = [];
    private long _now = 1_000;

    private CommandTracks Tracks() => new(NativeDialect.Default,
        frame =>
        {
            using var doc = JsonDocument.Parse(frame);
            _written.Add(doc.RootElement.GetProperty("params").GetProperty("seq").GetInt32());
        },
        (cmdId, lastSeq) => _resubscribed.Add((cmdId, lastSeq)),
        (cmdId, seq) => _skipped.Add((cmdId, seq)),
        () => _now);

    private static CommandNotification Event(int seq) => CommandNotification.Event("c1", seq, EventCodes.CallEnd);

    [Fact]
    public void Notifications_are_written_once_each_in_seq_order()
    {
        var tracks = Tracks();
        tracks.GetOrAdd("c1", 0);
        foreach (var seq in new[] { 1, 1, 3, 2, 2, 3, 4 })
        {
            tracks.OnNotification(Event(seq));
        }

        Assert.Equal([1, 2, 3, 4], _written);
        // Not attached yet: the command's own replay fills the gap, no resubscribe.
        Assert.Empty(_resubscribed);
    }

    [Fact]
    public void A_gap_in_an_attached_command_asks_once_for_a_replay_from_the_last_seq_written()
    {
        var tracks = Tracks();
        tracks.GetOrAdd("c1", 0);
        tracks.MarkAttached("c1");
        tracks.OnNotification(Event(1));
        tracks.OnNotification(Event(3));
        tracks.OnNotification(Event(4));
        Assert.Equal([("c1", 1)], _resubscribed);

        tracks.OnNotification(Event(2));
        Assert.Equal([1, 2, 3, 4], _written);
    }

    [Fact]
    public void A_blocked_command_holds_its_notifications_until_released_and_an_ended_one_is_then_forgotten()
    {
        var tracks = Tracks();
        using var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = 1, QueueLimit = 0 });
        var track = tracks.GetOrAdd("c1", 0);
        tracks.CountInFlight(track, limiter.AttemptAcquire());
        tracks.Block("c1");
        tracks.MarkAttached("c1");
        tracks.OnNotification(Event(1));
        tracks.OnNotification(CommandNotification.EndedOk("c1", 2));
        Assert.Empty(_written);
        Assert.Equal(1, tracks.InFlight);

        tracks.Release("c1");
        Assert.Equal([1, 2], _written);
        Assert.False(tracks.Contains("c1"));
        Assert.Equal(0, tracks.InFlight);
        using var again = limiter.AttemptAcquire();
        Assert.True(again.IsAcquired, "the token's permit was returned");
    }

    [Fact]
    public void A_command_never_attached_is_forgotten_when_its_reply_is_out()
    {
        var tracks = Tracks();
        tracks.GetOrAdd("c1", 0);
        tracks.Block("c1");
        tracks.Release("c1"); // rejected or timed out
        Assert.False(tracks.Contains("c1"));
    }

    [Fact]
    public void A_seq_that_never_comes_is_given_up_after_MaxAhead_held_notifications()
    {
        var tracks = Tracks();
        tracks.GetOrAdd("c1", 0);
        for (var seq = 2; seq <= CommandTracks.MaxAhead + 2; seq++)
        {
            tracks.OnNotification(Event(seq));
        }

        Assert.Equal([("c1", 1)], _skipped);
        Assert.Equal(Enumerable.Range(2, CommandTracks.MaxAhead + 1), _written);
        tracks.OnNotification(Event(1)); // too late: below what was written
        Assert.Equal(CommandTracks.MaxAhead + 1, _written.Count);
    }

    [Fact]
    public void Only_attached_unended_commands_quiet_for_long_enough_are_asked_again()
    {
        var tracks = Tracks();
        tracks.GetOrAdd("quiet", 5);
        tracks.MarkAttached("quiet");
        tracks.GetOrAdd("unattached", 0);
        tracks.GetOrAdd("recent", 0);
        _now = 2_000;
        tracks.MarkAttached("recent");

        tracks.ResubscribeQuiet(now: 1_999, quietMs: 1_000);
        Assert.Empty(_resubscribed);
        tracks.ResubscribeQuiet(now: 2_500, quietMs: 1_000);
        Assert.Equal([("quiet", 5)], _resubscribed);
        tracks.ResubscribeQuiet(now: 3_000, quietMs: 1_000);
        Assert.Contains(("recent", 0), _resubscribed);
        Assert.DoesNotContain(_resubscribed, r => r.CmdId == "unattached");
    }

    [Fact]
    public void Forget_returns_every_command_followed_and_their_permits()
    {
        var tracks = Tracks();
        using var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = 1, QueueLimit = 0 });
        tracks.CountInFlight(tracks.GetOrAdd("a", 0), limiter.AttemptAcquire());
        tracks.GetOrAdd("b", 0);

        Assert.Equal(["a", "b"], tracks.Forget().Order());
        Assert.False(tracks.Contains("a"));
        using var again = limiter.AttemptAcquire();
        Assert.True(again.IsAcquired);
    }
}
