using CallCluster.Gateway.Connection;

namespace CallCluster.Gateway.Tests.Connection;

/// <summary>Answers pair with the oldest open request of their command (and kind); unanswered requests are sent again
/// once half-way to their deadline and expire in deadline order.</summary>
public sealed class PendingRequestsTests
{
    private static PendingRequest Request(PendingKind kind, string cmdId, long deadline, object? message = null) =>
        new(kind, "1", cmdId, null, 0, deadline) { Message = message };

    [Fact]
    public void An_answer_takes_the_oldest_open_request_of_its_kind_or_of_any_kind()
    {
        var pending = new PendingRequests();
        var start = Request(PendingKind.Start, "c1", 100);
        var get = Request(PendingKind.Get, "c1", 100);
        var start2 = Request(PendingKind.Start, "c1", 100);
        pending.Add(start);
        pending.Add(get);
        pending.Add(start2);

        Assert.Same(get, pending.Take("c1", PendingKind.Get));
        Assert.Null(pending.Take("c1", PendingKind.Subscribe));
        Assert.Same(start, pending.Take("c1", null));
        Assert.Same(start2, pending.Take("c1", PendingKind.Start));
        Assert.Null(pending.Take("c1", null)); // a late answer
    }

    [Fact]
    public void Requests_with_a_message_are_resent_once_half_way_to_their_deadline()
    {
        var pending = new PendingRequests();
        var start = Request(PendingKind.Start, "c1", deadline: 1_000, message: "start");
        var get = Request(PendingKind.Get, "c2", deadline: 1_000);
        pending.Add(start);
        pending.Add(get);

        Assert.Empty(pending.DueForResend(now: 400, halfMs: 500));
        Assert.Equal([start], pending.DueForResend(now: 500, halfMs: 500));
        Assert.Empty(pending.DueForResend(now: 900, halfMs: 500));
        Assert.True(start.Resent);
    }

    [Fact]
    public void Expired_requests_leave_in_deadline_order_and_answered_ones_do_not_expire()
    {
        var pending = new PendingRequests();
        var first = Request(PendingKind.Start, "c1", 100);
        var answered = Request(PendingKind.Start, "c2", 150);
        var second = Request(PendingKind.Subscribe, "c3", 200);
        var later = Request(PendingKind.Get, "c4", 900);
        foreach (var r in new[] { first, answered, second, later }) pending.Add(r);
        Assert.Same(answered, pending.Take("c2", null));
        answered.Done = true;

        Assert.Equal([first, second], pending.TakeExpired(now: 200));
        Assert.Null(pending.Take("c1", null));
        Assert.Empty(pending.TakeExpired(now: 200));
        Assert.Same(later, pending.Take("c4", PendingKind.Get));
    }
}
