namespace OrleansDynamo.Silo.Admission;

/// <summary>
/// The latest foreground latencies with the time each finished, in a fixed ring buffer; answers the
/// p99 of those that finished within a trailing window. Thread-safe; recording is O(1).
/// </summary>
public sealed class LatencyWindow(int capacity, TimeProvider time)
{
    private readonly long[] _at = new long[capacity];
    private readonly double[] _ms = new double[capacity];
    private readonly object _lock = new();
    private long _count;

    public void Record(TimeSpan elapsed)
    {
        long now = time.GetTimestamp();
        lock (_lock)
        {
            int i = (int)(_count % _at.Length);
            _at[i] = now;
            _ms[i] = elapsed.TotalMilliseconds;
            _count++;
        }
    }

    /// <summary>The <paramref name="quantile"/> (e.g. 0.99) of latencies within <paramref name="window"/>, and how many there were.</summary>
    public (double? ValueMs, int Samples) Quantile(double quantile, TimeSpan window)
    {
        long now = time.GetTimestamp();
        var recent = new List<double>();
        lock (_lock)
        {
            int n = (int)Math.Min(_count, _at.Length);
            for (int i = 0; i < n; i++)
            {
                if (time.GetElapsedTime(_at[i], now) <= window) recent.Add(_ms[i]);
            }
        }
        if (recent.Count == 0) return (null, 0);
        recent.Sort();
        int index = Math.Clamp((int)Math.Ceiling(quantile * recent.Count) - 1, 0, recent.Count - 1);
        return (recent[index], recent.Count);
    }
}
