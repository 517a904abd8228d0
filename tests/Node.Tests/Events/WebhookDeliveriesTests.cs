using CallCluster.Contracts.Events;
using CallCluster.Gateway.Events;
using CallCluster.Node.Webhooks;

namespace CallCluster.Node.Tests.Events;

/// <summary>The endpoint's bookkeeping: one event per call at a time, the concurrency limit, the commit position, and
/// the retry waits.</summary>
public sealed class WebhookDeliveriesTests
{
    private static Delivery D(long offset, string callId) =>
        new(new StoredCallEvent(offset, new CallEventRecorded("call.ringing", callId, 1, 0, null, null, null, null, null, null, null)), $"e-{offset}");

    [Fact]
    public void A_calls_next_event_waits_for_the_one_before_and_the_limit_holds()
    {
        var deliveries = new WebhookDeliveries();
        var a1 = D(10, "a");
        deliveries.Add(a1);
        deliveries.Add(D(11, "a"));
        deliveries.Add(D(12, "b"));
        deliveries.Add(D(13, "c"));

        Assert.Same(a1, deliveries.Start(concurrency: 2));
        Assert.Equal(12, deliveries.Start(2)!.Stored.Offset); // not 11: a's first is in flight
        Assert.Null(deliveries.Start(2)); // the limit
        Assert.Equal(9, deliveries.DoneUpTo(readUpTo: 13));

        deliveries.Failed(); // a1 failed: out of flight, still holds a's place
        Assert.Equal(13, deliveries.Start(2)!.Stored.Offset);
        deliveries.RetryDue(a1);
        Assert.Null(deliveries.Start(2));
    }

    [Fact]
    public void Done_frees_the_next_event_of_the_call_and_moves_the_commit_position()
    {
        var deliveries = new WebhookDeliveries();
        var a1 = D(10, "a");
        deliveries.Add(a1);
        deliveries.Add(D(11, "a"));
        deliveries.Start(4);
        deliveries.Done(a1);
        Assert.Equal(10, deliveries.DoneUpTo(11));
        var a2 = deliveries.Start(4)!;
        Assert.Equal(11, a2.Stored.Offset);
        deliveries.Done(a2);
        Assert.Equal(15, deliveries.DoneUpTo(15)); // nothing pending: everything read is done
    }

    [Fact]
    public void Backoff_doubles_up_to_the_cap_within_the_jitter()
    {
        var settings = new WebhookSettings([], 4, 10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 0.3,
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(250), 1000, 1000);
        Assert.Equal(100, settings.Backoff(1, 0.5).TotalMilliseconds, 3);
        Assert.Equal(400, settings.Backoff(3, 0.5).TotalMilliseconds, 3);
        Assert.Equal(1000, settings.Backoff(9, 0.5).TotalMilliseconds, 3);
        Assert.Equal(70, settings.Backoff(1, 0).TotalMilliseconds, 3);
        Assert.Equal(130, settings.Backoff(1, 1).TotalMilliseconds, 3);
    }

    [Fact]
    public void The_signature_is_the_hex_hmac_of_the_raw_body()
    {
        var body = "{\"a\":1}"u8.ToArray();
        // echo -n '{"a":1}' | openssl dgst -sha256 -hmac secret
        Assert.Equal("sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494", WebhookSigner.Sign("secret", body));
        Assert.True(WebhookSigner.Verify("secret", body, WebhookSigner.Sign("secret", body)));
        Assert.False(WebhookSigner.Verify("other", body, WebhookSigner.Sign("secret", body)));
    }
}
