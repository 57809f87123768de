using System.Numerics;

namespace OrleansDynamo.Cli.Bench;

/// <summary>
/// A log-linear latency histogram in the style of HdrHistogram: values below 256 ns are counted exactly,
/// above that every power of two is split into 128 equal sub-buckets, so any recorded value is known to
/// within 1/128 (0.8 %) from about 0.25 µs up to hours, in a fixed 4,736-slot array. Recording is lock-free
/// (one <see cref="Interlocked"/> add per counter) so every worker can share one histogram; percentiles are
/// read from the counts, never averaged. The maximum is kept exactly.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Values below 2^LinearBits are counted one slot each.</summary>
    private const int LinearBits = 8;
    /// <summary>Slots per power of two above the linear range (2^(LinearBits-1)).</summary>
    private const int SubBuckets = 1 << (LinearBits - 1);
    /// <summary>Highest power of two tracked: 2^42 ns is about 73 minutes; longer values land in the last slot.</summary>
    private const int MaxExponent = 42;
    private const long MaxTrackable = (1L << (MaxExponent + 1)) - 1;

    /// <summary>Number of slots.</summary>
    public const int SlotCount = (MaxExponent - LinearBits + 1) * SubBuckets + 2 * SubBuckets;

    private readonly long[] _counts = new long[SlotCount];
    private long _total;
    private long _sum;
    private long _max;
    private long _min = long.MaxValue;

    /// <summary>Values recorded.</summary>
    public long Count => Volatile.Read(ref _total);

    /// <summary>The largest value recorded, exactly (0 when empty).</summary>
    public long Max => Volatile.Read(ref _max);

    /// <summary>The smallest value recorded, exactly (0 when empty).</summary>
    public long Min => Count == 0 ? 0 : Volatile.Read(ref _min);

    /// <summary>The exact mean of the recorded values (0 when empty).</summary>
    public double Mean => Count == 0 ? 0 : (double)Volatile.Read(ref _sum) / Count;

    /// <summary>Records one value (e.g. nanoseconds); negative values count as 0. Thread-safe.</summary>
    public void Record(long value)
    {
        if (value < 0) value = 0;
        Interlocked.Increment(ref _counts[IndexOf(value)]);
        Interlocked.Increment(ref _total);
        Interlocked.Add(ref _sum, value);
        long seen = Volatile.Read(ref _max);
        while (value > seen)
        {
            long prior = Interlocked.CompareExchange(ref _max, value, seen);
            if (prior == seen) break;
            seen = prior;
        }
        seen = Volatile.Read(ref _min);
        while (value < seen)
        {
            long prior = Interlocked.CompareExchange(ref _min, value, seen);
            if (prior == seen) break;
            seen = prior;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < SlotCount; i++)
        {
            long c = Volatile.Read(ref other._counts[i]);
            if (c != 0) Interlocked.Add(ref _counts[i], c);
        }
        if (other.Count == 0) return;
        Interlocked.Add(ref _total, other.Count);
        Interlocked.Add(ref _sum, Volatile.Read(ref other._sum));
        if (other.Max > _max) _max = other.Max;
        if (other.Min < _min) _min = other.Min;
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0..100): the highest value of the slot holding the
    /// ceil(p·count)-th smallest value, never above the exact maximum. 0 when empty.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (percentile is < 0 or > 100 || double.IsNaN(percentile))
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "must be between 0 and 100");
        long total = Count;
        if (total == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < SlotCount; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank) return Math.Min(HighestOf(i), Max);
        }
        return Max;
    }

    /// <summary>The slot a value falls in.</summary>
    internal static int IndexOf(long value)
    {
        if (value > MaxTrackable) value = MaxTrackable;
        if (value < 2 * SubBuckets) return (int)value;
        int exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        int shift = exponent - (LinearBits - 1);
        int mantissa = (int)(value >> shift);
        return shift * SubBuckets + mantissa;
    }

    /// <summary>The smallest value that falls in <paramref name="index"/>.</summary>
    internal static long LowestOf(int index)
    {
        if (index < 2 * SubBuckets) return index;
        int shift = index / SubBuckets - 1;
        long mantissa = index % SubBuckets + SubBuckets;
        return mantissa << shift;
    }

    /// <summary>The largest value that falls in <paramref name="index"/>.</summary>
    internal static long HighestOf(int index)
    {
        if (index < 2 * SubBuckets) return index;
        int shift = index / SubBuckets - 1;
        return LowestOf(index) + (1L << shift) - 1;
    }
}
