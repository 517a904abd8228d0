using Akka.Actor;
using CallCluster.Gateway.Connection;

namespace CallCluster.Gateway.Tests.Connection;

/// <summary>Ids unique on the connection and never reused; at most <see cref="EventSubscriptions.Max"/>; a value, not a
/// shared object.</summary>
public sealed class EventSubscriptionsTests
{
    [Fact]
    public void Ids_count_up_and_are_not_reused_after_an_unsubscribe()
    {
        var subs = EventSubscriptions.None;
        Assert.Equal("sub-1", subs.NextId);
        subs = subs.Add(ActorRefs.Nobody);
        Assert.Equal("sub-2", subs.NextId);

        subs = subs.Remove("sub-1", out var child);
        Assert.Equal(ActorRefs.Nobody, child);
        Assert.Equal(0, subs.Count);
        Assert.Equal("sub-2", subs.NextId);
    }

    [Fact]
    public void An_unknown_id_removes_nothing()
    {
        var subs = EventSubscriptions.None.Add(ActorRefs.Nobody);
        var same = subs.Remove("sub-9", out var child);
        Assert.Null(child);
        Assert.Equal(subs, same);
    }

    [Fact]
    public void It_is_full_at_Max_and_earlier_values_are_unchanged()
    {
        var subs = EventSubscriptions.None;
        for (var i = 0; i < EventSubscriptions.Max; i++)
        {
            Assert.False(subs.Full);
            subs = subs.Add(ActorRefs.Nobody);
        }

        Assert.True(subs.Full);
        Assert.Equal(0, EventSubscriptions.None.Count);
        Assert.False(subs.Remove("sub-1", out _).Full);
    }
}
