using System.Numerics;

namespace CallCluster.LoadGen;

/// <summary>
/// HDR-style log-linear histogram of microsecond values with fixed memory (~27 KB): exact below 128 µs, then 64
/// linear sub-buckets per power of two, so any reported percentile is within 1/64 (1.6 %) of the true sample value.
/// Not thread-safe: one per connection loop, merged at the end.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 7;
    private const int Sub = 1 << SubBits;   // 128 exact buckets
    private const int Half = Sub / 2;       // 64 sub-buckets per octave above
    private const int Octaves = 40;         // up to ~2^46 µs (≈ 2 years): everything realistic
    private readonly long[] _counts = new long[Sub + Octaves * Half];

    public long Count { get; private set; }
    public long MaxMicros { get; private set; }

    public void Record(long micros)
    {
        if (micros < 0) micros = 0;
        int idx = Index(micros);
        if (idx >= _counts.Length) idx = _counts.Length - 1;
        _counts[idx]++;
        Count++;
        if (micros > MaxMicros) MaxMicros = micros;
    }

    public void Merge(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        if (other.MaxMicros > MaxMicros) MaxMicros = other.MaxMicros;
    }

    /// <summary>The value at percentile p (0..100): the highest value equivalent to the sample of rank ceil(p/100·N), capped at the max.</summary>
    public long ValueAtPercentile(double p)
    {
        if (Count == 0) return 0;
        long rank = (long)Math.Ceiling(Math.Clamp(p, 0, 100) / 100.0 * Count);
        if (rank < 1) rank = 1;
        long cumulative = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            cumulative += _counts[i];
            if (cumulative >= rank) return Math.Min(HighestEquivalent(i), MaxMicros);
        }
        return MaxMicros;
    }

    internal static int Index(long v)
    {
        if (v < Sub) return (int)v;
        int msb = 63 - BitOperations.LeadingZeroCount((ulong)v);
        int shift = msb - (SubBits - 1);                 // v >> shift is in [64, 128)
        return Sub + (shift - 1) * Half + (int)((v >> shift) - Half);
    }

    internal static long LowestEquivalent(int idx)
    {
        if (idx < Sub) return idx;
        int k = idx - Sub;
        int shift = k / Half + 1;
        return (long)(k % Half + Half) << shift;
    }

    internal static long HighestEquivalent(int idx)
    {
        if (idx < Sub) return idx;
        int shift = (idx - Sub) / Half + 1;
        return LowestEquivalent(idx) + (1L << shift) - 1;
    }
}
