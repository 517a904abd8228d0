using System.Text.Json;
using CallCluster.LoadGen;
using Xunit.Abstractions;

namespace CallCluster.LoadGen.Tests;

/// <summary>
/// How fast the generator itself goes against the trivial in-test server (which shares the machine, so this is a
/// lower bound). Opt-in: LOADGEN_THROUGHPUT=1 dotnet test ... --filter ThroughputProbe; otherwise it returns at once.
/// </summary>
public class ThroughputProbe(ITestOutputHelper output)
{
    [Fact]
    public async Task Generator_throughput_against_the_fake_server()
    {
        if (Environment.GetEnvironmentVariable("LOADGEN_THROUGHPUT") != "1") return;
        await using var server = await FakeCallApiServer.StartAsync();
        var o = LoadGenCommandLine.TryParse(["--url", server.Url.ToString(), "--count", "300000", "--connections", "16", "--in-flight", "64", "--warmup", "2", "--json-only"], out _)!;
        var result = await new Runner(o, null).RunAsync(CancellationToken.None);
        output.WriteLine(result.Json);
        using var doc = JsonDocument.Parse(result.Json);
        Assert.Equal(0, doc.RootElement.GetProperty("wrong_pairing").GetInt64());
    }

    [Fact]
    public async Task Sequential_latency_against_the_fake_server()
    {
        if (Environment.GetEnvironmentVariable("LOADGEN_THROUGHPUT") != "1") return;
        await using var server = await FakeCallApiServer.StartAsync();
        var o = LoadGenCommandLine.TryParse(["--url", server.Url.ToString(), "--count", "20000", "--warmup", "1", "--json-only"], out _)!;
        var result = await new Runner(o, null).RunAsync(CancellationToken.None);
        output.WriteLine(result.Json);
    }
}
