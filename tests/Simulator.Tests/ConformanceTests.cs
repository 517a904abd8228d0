using CallCluster.Simulator.Tests.Support;
using Xunit.Abstractions;

namespace CallCluster.Simulator.Tests;

/// <summary>Replays the real OpenSIPS 4.0.1 captures against the simulator, datagram for datagram (see CaptureReplayer).</summary>
public sealed class ConformanceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("a_subscribe", false)]
    [InlineData("b_click_to_dial", true)]
    [InlineData("c_normal_call", true)]
    [InlineData("d_errors", true)]
    [InlineData("f_canonical_names", false)]
    [InlineData("z_unsubscribe", true)]
    public async Task Replays_capture(string capture, bool subscribed)
    {
        await using var h = await SimHarness.StartAsync(subscribe: subscribed);
        var replayer = new CaptureReplayer(h);
        var failures = await replayer.RunAsync(capture);
        foreach (var l in replayer.Log) output.WriteLine(l);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The proxy script answers early refer-NOTIFYs itself (ack-1xx-refer-notify on): "notify" events appear after ok.</summary>
    [Fact]
    public async Task Replays_notify_variant_with_ack_1xx_refer_notify_on()
    {
        await using var h = await SimHarness.StartAsync(SimHarness.Fast with { Ack1xxReferNotify = true });
        var replayer = new CaptureReplayer(h);
        var failures = await replayer.RunAsync("e_notify_variant_ack1xx");
        foreach (var l in replayer.Log) output.WriteLine(l);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(2, replayer.Log.Count(l => l.Contains("\"state\":\"notify\"", StringComparison.Ordinal)));
    }
}
