using CallCluster.LoadGen;

namespace CallCluster.LoadGen.Tests;

public class HistogramTests
{
    [Fact]
    public void Empty_histogram_reports_zero()
    {
        var h = new LatencyHistogram();
        Assert.Equal(0, h.ValueAtPercentile(50));
        Assert.Equal(0, h.ValueAtPercentile(99));
        Assert.Equal(0, h.Count);
    }

    [Fact]
    public void Small_values_are_exact_nearest_rank()
    {
        var h = new LatencyHistogram();
        for (int v = 100; v >= 1; v--) h.Record(v);
        Assert.Equal(100, h.Count);
        Assert.Equal(50, h.ValueAtPercentile(50));
        Assert.Equal(95, h.ValueAtPercentile(95));
        Assert.Equal(99, h.ValueAtPercentile(99));
        Assert.Equal(100, h.ValueAtPercentile(100));
        Assert.Equal(1, h.ValueAtPercentile(0));
        Assert.Equal(100, h.MaxMicros);
    }

    [Fact]
    public void Single_value_is_reported_exactly_through_the_max_cap()
    {
        var h = new LatencyHistogram();
        h.Record(123_457);
        Assert.Equal(123_457, h.ValueAtPercentile(50));
        Assert.Equal(123_457, h.ValueAtPercentile(99));
    }

    [Fact]
    public void Bucket_bounds_are_contiguous()
    {
        for (int i = 0; i < 3000; i++)
        {
            long lo = LatencyHistogram.LowestEquivalent(i);
            long hi = LatencyHistogram.HighestEquivalent(i);
            Assert.Equal(i, LatencyHistogram.Index(lo));
            Assert.Equal(i, LatencyHistogram.Index(hi));
            Assert.Equal(i + 1, LatencyHistogram.Index(hi + 1));
        }
    }

    [Fact]
    public void Percentiles_match_sorted_samples_within_relative_error()
    {
        var rng = new Random(42);
        var samples = new long[50_000];
        var h = new LatencyHistogram();
        for (int i = 0; i < samples.Length; i++)
        {
            // log-uniform between 10 µs and 10 s
            samples[i] = (long)Math.Exp(rng.NextDouble() * Math.Log(1_000_000) + Math.Log(10));
            h.Record(samples[i]);
        }
        Array.Sort(samples);
        foreach (double p in new[] { 1.0, 50, 90, 95, 99, 99.9 })
        {
            long exact = samples[(int)Math.Ceiling(p / 100 * samples.Length) - 1];
            long approx = h.ValueAtPercentile(p);
            Assert.InRange(approx, exact, exact + exact / 64 + 1);
        }
        Assert.Equal(samples[^1], h.ValueAtPercentile(100));
    }

    [Fact]
    public void Merge_adds_counts_and_keeps_the_max()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        for (int i = 1; i <= 50; i++) a.Record(i);
        for (int i = 51; i <= 100; i++) b.Record(i);
        b.Record(-5); // clamps to 0
        a.Merge(b);
        Assert.Equal(101, a.Count);
        Assert.Equal(100, a.MaxMicros);
        Assert.Equal(50, a.ValueAtPercentile(50));
        Assert.Equal(0, a.ValueAtPercentile(0.5));
    }

    [Fact]
    public void Huge_values_clamp_into_the_last_bucket()
    {
        var h = new LatencyHistogram();
        h.Record(long.MaxValue / 2);
        Assert.Equal(1, h.Count);
        Assert.Equal(long.MaxValue / 2, h.MaxMicros);
    }
}
