namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// The last minute of a few silo counters (hints stored and delivered, read repairs, keys repaired by anti-entropy),
/// one count per second in a ring of slots, so the dashboard's hints chart covers the same seconds as its request
/// charts. Seconds come from the caller (the silo's clock). Thread-safe.
/// </summary>
public sealed class MetricsEventWindow(int seconds, IReadOnlyList<string> names)
{
    private readonly long[] _second = Enumerable.Repeat(long.MinValue, seconds).ToArray();
    private readonly long[,] _counts = new long[seconds, names.Count];
    private readonly object _gate = new();

    public IReadOnlyList<string> Names => names;

    public void Record(long second, string name, long delta)
    {
        int column = IndexOf(name);
        if (column < 0) return;
        int row = Row(second);
        lock (_gate)
        {
            if (_second[row] != second)
            {
                _second[row] = second;
                for (int i = 0; i < names.Count; i++) _counts[row, i] = 0;
            }
            _counts[row, column] += delta;
        }
    }

    /// <summary>Each counter's additions per second for the <paramref name="count"/> seconds ending at <paramref name="lastSecond"/>, oldest first.</summary>
    public Dictionary<string, long[]> PerSecond(long lastSecond, int count)
    {
        count = Math.Min(count, _second.Length);
        var result = names.ToDictionary(n => n, _ => new long[count], StringComparer.Ordinal);
        lock (_gate)
        {
            for (int i = 0; i < count; i++)
            {
                long second = lastSecond - count + 1 + i;
                int row = Row(second);
                if (_second[row] != second) continue;
                for (int c = 0; c < names.Count; c++) result[names[c]][i] = _counts[row, c];
            }
        }
        return result;
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    private int Row(long second) => (int)(((second % _second.Length) + _second.Length) % _second.Length);
}
