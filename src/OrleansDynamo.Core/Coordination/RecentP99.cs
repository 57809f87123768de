namespace OrleansDynamo.Core.Coordination;

/// <summary>
/// When to ask the replicas a read did not ask at first (speculative retry): the p99 of the last <see cref="Size"/> latencies recorded, recomputed every <see cref="Every"/> records (a sort of
/// the window, so about 0.1 µs a record) and read without a lock. Null until <see cref="Every"/> have been recorded.
/// Records race with a recompute; a sample torn between two reads of the window only moves the estimate by one sample.
/// </summary>
public sealed class RecentP99
{
    public const int Size = 512;
    public const int Every = 128;

    private readonly long[] _ticks = new long[Size];
    private readonly long[] _sorted = new long[Size];
    private long _count;
    private long _p99Ticks = -1;

    /// <summary>The p99 so far, or null before <see cref="Every"/> latencies were recorded.</summary>
    public TimeSpan? P99 => Volatile.Read(ref _p99Ticks) is var p99 and >= 0 ? TimeSpan.FromTicks(p99) : null;

    public void Record(TimeSpan latency)
    {
        long n = Interlocked.Increment(ref _count);
        _ticks[(n - 1) & (Size - 1)] = latency.Ticks;
        if (n % Every == 0) Recompute((int)Math.Min(n, Size));
    }

    private void Recompute(int filled)
    {
        // One recompute at a time; a record that finds one running leaves the estimate to it.
        if (!Monitor.TryEnter(_sorted)) return;
        try
        {
            Array.Copy(_ticks, _sorted, filled);
            Array.Sort(_sorted, 0, filled);
            int index = Math.Max(0, (int)Math.Ceiling(filled * 0.99) - 1);
            Volatile.Write(ref _p99Ticks, _sorted[index]);
        }
        finally
        {
            Monitor.Exit(_sorted);
        }
    }
}
