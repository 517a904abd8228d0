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
}
