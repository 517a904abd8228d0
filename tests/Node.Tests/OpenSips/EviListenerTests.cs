using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.TestKit.Xunit2;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.OpenSips;

public sealed class EviListenerTests : TestKit
{
    private static string Hold(string callId, string state) =>
        "{\"jsonrpc\":\"2.0\",\"method\":\"E_CALL_HOLD\",\"params\":{\"callid\":\"" + callId
        + "\",\"leg\":\"caller\",\"action\":\"hold\",\"state\":\"" + state + "\"}}";

    private static void SendFrom(Socket client, IPEndPoint to, string text) => client.SendTo(Encoding.UTF8.GetBytes(text), to);

    private static void SendFrom(Socket client, IPEndPoint to, byte[] bytes) => client.SendTo(bytes, to);

    private static Socket NewClient() => new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    [Fact]
    public async Task Routes_events_from_several_source_ports_and_survives_garbage()
    {
        var target = CreateTestProbe();
        await using var listener = await EviListener.Start(Sys, new EviSettings("127.0.0.1", 0, ""), target.Ref);
        Assert.Equal($"udp:127.0.0.1:{listener.LocalEndPoint.Port}", listener.AdvertisedSocket);
        Assert.NotEqual(0, listener.LocalEndPoint.Port);

        using var a = NewClient();
        using var b = NewClient();
        using var c = NewClient();
        SendFrom(a, listener.LocalEndPoint, Hold("call-a", "start"));
        SendFrom(b, listener.LocalEndPoint, Hold("call-b", "start"));
        SendFrom(c, listener.LocalEndPoint, Hold("call-c", "start"));
        var ids = new HashSet<string>();
        for (var i = 0; i < 3; i++) ids.Add((await target.ExpectMsgAsync<CallHoldEvent>()).CallId);
        Assert.Equal(new HashSet<string> { "call-a", "call-b", "call-c" }, ids);

        var random = new byte[512];
        new Random(7).NextBytes(random);
        var huge = Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"method\":\"E_CALL_HOLD\",\"params\":{\"callid\":\"" + new string('x', 60_000));
        SendFrom(a, listener.LocalEndPoint, random);
        SendFrom(b, listener.LocalEndPoint, """{"jsonrpc":"2.0","method":"E_CALL_HOLD","para""");
        SendFrom(c, listener.LocalEndPoint, """{"jsonrpc":"2.0","method":"E_DLG_STATE_CHANGED","params":{"id":1,"callid":"c","old_state":"x","new_state":4}}""");
        SendFrom(a, listener.LocalEndPoint, huge);
        SendFrom(b, listener.LocalEndPoint, """{"jsonrpc":"2.0","method":"E_CORE_THRESHOLD","params":{}}""");
        SendFrom(c, listener.LocalEndPoint, Hold("call-after-garbage", "ok"));

        var after = await target.ExpectMsgAsync<CallHoldEvent>();
        Assert.Equal(new CallHoldEvent("call-after-garbage", "caller", "hold", "ok"), after);
        await target.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        await AwaitAssertAsync(() =>
        {
            var stats = listener.Stats;
            // KernelDrops is the kernel's view (0 here on Linux, null elsewhere): not what this test is about.
            Assert.Equal(new EviStats(Received: 9, Malformed: 4, Ignored: 1, Routed: 4), stats with { KernelDrops = null });
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Keeps_arrival_order_through_parallel_parsing_and_reports_kernel_drops()
    {
        var target = CreateTestProbe();
        // Small batches and 4 in flight: many batches are parsed at once, the routing must still be in order.
        var settings = new EviSettings("127.0.0.1", 0, "") { ParseBatch = 8, ParseParallelism = 4, QueueSize = 64 };
        await using var listener = await EviListener.Start(Sys, settings, target.Ref);
        using var client = NewClient();
        const int count = 2000;
        for (var i = 0; i < count; i++)
        {
            SendFrom(client, listener.LocalEndPoint, Hold("ordered", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (i % 200 == 199) await Task.Delay(5); // stay far below the kernel buffer: this test is about order
        }
        for (var i = 0; i < count; i++)
        {
            var evt = await target.ExpectMsgAsync<CallHoldEvent>(TimeSpan.FromSeconds(10));
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), evt.State);
        }
        var stats = listener.Stats;
        Assert.Equal((count, count), (stats.Received, stats.Routed));
        if (File.Exists("/proc/net/udp")) Assert.Equal(0, stats.KernelDrops);
        else Assert.Null(stats.KernelDrops);
    }

    [Fact]
    public async Task Dispose_completes_the_stream_and_frees_the_port()
    {
        var target = CreateTestProbe();
        var listener = await EviListener.Start(Sys, new EviSettings("127.0.0.1", 0, "udp:10.0.0.5:9000"), target.Ref);
        Assert.Equal("udp:10.0.0.5:9000", listener.AdvertisedSocket);
        var port = listener.LocalEndPoint.Port;
        await listener.DisposeAsync();
        Assert.True(listener.Completion.IsCompleted);
        await listener.DisposeAsync(); // idempotent
        using var rebind = NewClient();
        rebind.Bind(new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public void Settings_are_read_from_hocon()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            callcluster.evi { bind-host = "127.0.0.1", port = 0, advertise = "", subscription { expire = 300s, refresh-every = 100s, retry-after = 2s } }
            """);
        Assert.Equal(new EviSettings("127.0.0.1", 0, ""), EviSettings.FromConfig(config));
        var sub = SubscriptionSettings.FromConfig(config);
        Assert.Equal((TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(2)), (sub.Expire, sub.RefreshEvery, sub.RetryAfter));
        Assert.Equal(300, sub.ExpireSeconds);

        var tuned = EviSettings.FromConfig(Akka.Configuration.ConfigurationFactory.ParseString("""
            callcluster.evi { receive-buffer = 16MiB, queue-size = 1000, parse-parallelism = 3, parse-batch = 32 }
            """));
        Assert.Equal((16 * 1024 * 1024, 1000, 3, 32), (tuned.ReceiveBufferBytes, tuned.QueueSize, tuned.ParseParallelism, tuned.ParseBatch));
        var shipped = EviSettings.FromConfig(Akka.Configuration.ConfigurationFactory.ParseString("callcluster.evi.receive-buffer = 8388608"));
        Assert.Equal(8 * 1024 * 1024, shipped.ReceiveBufferBytes); // a plain byte count, as CALLCLUSTER_EVI_RECEIVE_BUFFER may give
        Assert.Throws<Akka.Configuration.ConfigurationException>(() =>
            EviSettings.FromConfig(Akka.Configuration.ConfigurationFactory.ParseString("callcluster.evi.receive-buffer = 1")));
    }
}
