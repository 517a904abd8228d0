using System.Text;
using System.Text.Json;
using CallCluster.Gateway.Connection;

namespace CallCluster.Gateway.Tests.Connection;

/// <summary>Replies in protocol order: a lone reply at once, a batch as one array in request order once sealed and
/// complete, and a command's notifications released only after the reply that held them is out.</summary>
public sealed class ReplyWriterTests
{
    private readonly List<string> _log = [];

    private ReplyWriter Writer() => new(frame => _log.Add("write " + Encoding.UTF8.GetString(frame)), cmdId => _log.Add("release " + cmdId));

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void A_lone_reply_is_written_at_once_and_then_releases_its_command()
    {
        Writer().Send(null, 0, Json("""{"id":1}"""), releases: "c1");
        Assert.Equal(["write {\"id\":1}", "release c1"], _log);
    }

    [Fact]
    public void A_batch_is_written_once_sealed_and_full_in_slot_order_and_releases_after_it()
    {
        var writer = Writer();
        var batch = new BatchReply(3);
        writer.Send(batch, 2, Json("""{"id":3}"""), releases: "c3");
        writer.Send(batch, 0, Json("""{"id":1}"""));
        Assert.Empty(_log);

        writer.Seal(batch); // one slot still open: an answer that has not come yet
        Assert.Empty(_log);

        writer.Send(batch, 1, Json("""{"id":2}"""), releases: "c2");
        Assert.Equal(3, _log.Count);
        using var array = JsonDocument.Parse(_log[0]["write ".Length..]);
        Assert.Equal([1, 2, 3], array.RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt32()));
        Assert.Equal(["release c3", "release c2"], _log.Skip(1));
    }

    [Fact]
    public void A_full_batch_waits_for_its_seal()
    {
        var writer = Writer();
        var batch = new BatchReply(1);
        writer.Send(batch, 0, Json("""{"id":1}"""));
        Assert.Empty(_log); // more requests of the frame may still be handled (and add to ToUnblock)

        writer.Seal(batch);
        writer.Seal(batch);
        Assert.Single(_log);
    }

    [Fact]
    public void A_batch_of_notifications_only_writes_nothing()
    {
        var writer = Writer();
        writer.Seal(new BatchReply(0));
        Assert.Empty(_log);
    }
}
