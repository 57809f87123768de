using System.Numerics;

namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// A log-linear latency histogram in microseconds (like HdrHistogram with 4 significant bits): values
/// below 32 µs are exact, above that every power of two is cut into 16 equal buckets, so a bucket is
/// at most 1/16 (6.25%) of its value wide. Values above ~134 s fall into the last bucket. Not
/// thread-safe: the rolling window locks around it.
/// </summary>
public sealed class MetricsLatencyHistogram
{
    private const int SubBits = 4;
    private const int Sub = 1 << SubBits;
    private const int MaxBit = 27;

    /// <summary>Number of buckets: 32 exact ones, then 16 per power of two up to 2^27 µs.</summary>
    public const int BucketCount = 2 * Sub + (MaxBit - SubBits) * Sub;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long SumMicros { get; private set; }

    public long MaxMicros { get; private set; }

    public void Record(long micros)
    {
        if (micros < 0) micros = 0;
        _counts[IndexOf(micros)]++;
        Count++;
        SumMicros += micros;
        if (micros > MaxMicros) MaxMicros = micros;
    }

    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
        SumMicros = 0;
        MaxMicros = 0;
    }

    /// <summary>Adds another histogram's counts into this one.</summary>
    public void Add(MetricsLatencyHistogram other)
    {
        for (int i = 0; i < BucketCount; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        SumMicros += other.SumMicros;
        MaxMicros = Math.Max(MaxMicros, other.MaxMicros);
    }

    /// <summary>Adds counts given as (bucket index, count) pairs, as another silo sent them.</summary>
    public void AddBuckets(IEnumerable<KeyValuePair<int, long>> buckets, long sumMicros, long maxMicros)
    {
        foreach (var (index, count) in buckets)
        {
            if (index < 0 || index >= BucketCount || count <= 0) continue;
            _counts[index] += count;
            Count += count;
        }
        SumMicros += sumMicros;
        MaxMicros = Math.Max(MaxMicros, maxMicros);
    }

    /// <summary>The non-empty buckets as (index, count), for sending to a peer.</summary>
    public Dictionary<int, long> NonEmptyBuckets()
    {
        var result = new Dictionary<int, long>();
        for (int i = 0; i < BucketCount; i++)
        {
            if (_counts[i] > 0) result[i] = _counts[i];
        }
        return result;
    }

    /// <summary>
    /// The value at quantile <paramref name="q"/> (0..1) in microseconds: the midpoint of the bucket
    /// holding that rank, capped by the largest value seen. 0 when empty.
    /// </summary>
    public double Quantile(double q)
    {
        if (Count == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(Math.Clamp(q, 0, 1) * Count));
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                var (low, high) = BoundsOf(i);
                double mid = i < 2 * Sub ? low : (low + high) / 2.0;
                return Math.Min(mid, MaxMicros);
            }
        }
        return MaxMicros;
    }

    public static int IndexOf(long micros)
    {
        if (micros < 2 * Sub) return (int)micros;
        int msb = 63 - BitOperations.LeadingZeroCount((ulong)micros);
        if (msb > MaxBit) return BucketCount - 1;
        int shift = msb - SubBits;
        int sub = (int)(micros >> shift) - Sub;
        return 2 * Sub + (msb - SubBits - 1) * Sub + sub;
    }

    /// <summary>The bucket's range [low, high) in microseconds.</summary>
    public static (long Low, long High) BoundsOf(int index)
    {
        if (index < 2 * Sub) return (index, index + 1);
        int octave = (index - 2 * Sub) / Sub;
        int sub = (index - 2 * Sub) % Sub;
        int shift = octave + 1;
        return ((long)(Sub + sub) << shift, (long)(Sub + sub + 1) << shift);
    }
}
