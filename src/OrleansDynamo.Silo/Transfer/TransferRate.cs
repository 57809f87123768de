namespace OrleansDynamo.Silo.Transfer;

/// <summary>Keys sent per second over a trailing window (10 s by default), from timestamped counts. Thread-safe.</summary>
public sealed class TransferRate(TimeProvider time, TimeSpan? window = null)
{
    private readonly TimeSpan _window = window ?? TimeSpan.FromSeconds(10);
    private readonly Queue<(long At, long Keys)> _samples = new();
    private readonly object _lock = new();

    public void Add(long at, long keys)
    {
        lock (_lock)
        {
            _samples.Enqueue((at, keys));
            Trim(at);
        }
    }

    /// <summary>Keys per second within the window: keys counted over the window, or over the time since the first sample if shorter (at least 1 s).</summary>
    public double PerSecond()
    {
        long now = time.GetTimestamp();
        lock (_lock)
        {
            Trim(now);
            if (_samples.Count == 0) return 0;
            long keys = _samples.Sum(s => s.Keys);
            double seconds = Math.Max(1, Math.Min(_window.TotalSeconds, time.GetElapsedTime(_samples.Peek().At, now).TotalSeconds));
            return keys / seconds;
        }
    }

    private void Trim(long now)
    {
        while (_samples.Count > 0 && time.GetElapsedTime(_samples.Peek().At, now) > _window) _samples.Dequeue();
    }
}
