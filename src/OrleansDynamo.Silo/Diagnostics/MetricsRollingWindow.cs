namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// The last minute of one kind of request (say, gets measured at the coordinator): one latency
/// histogram and one error count per second in a ring of slots, reused as time moves on. Seconds
/// come from the caller (the silo's clock), so the simulation can drive it. Thread-safe.
/// </summary>
public sealed class MetricsRollingWindow
{
    private readonly Slot[] _slots;
    private readonly object _gate = new();

    public MetricsRollingWindow(int seconds)
    {
        if (seconds < 1) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "a window holds at least one second");
        _slots = new Slot[seconds];
        for (int i = 0; i < seconds; i++) _slots[i] = new Slot();
    }

    public int Seconds => _slots.Length;

    public void Record(long second, long micros, bool error)
    {
        lock (_gate)
        {
            var slot = SlotFor(second);
            slot.Latency.Record(micros);
            if (error) slot.Errors++;
        }
    }

    /// <summary>Everything recorded in the seconds (now - Seconds, now], merged.</summary>
    public WindowTotals Totals(long nowSecond)
    {
        var merged = new MetricsLatencyHistogram();
        long errors = 0;
        lock (_gate)
        {
            foreach (var slot in _slots)
            {
                if (slot.Second > nowSecond - _slots.Length && slot.Second <= nowSecond)
                {
                    merged.Add(slot.Latency);
                    errors += slot.Errors;
                }
            }
        }
        return new WindowTotals(merged, errors);
    }

    /// <summary>
    /// One histogram per second for the <paramref name="count"/> seconds ending at
    /// <paramref name="lastSecond"/> (oldest first); empty histograms for seconds with nothing.
    /// </summary>
    public MetricsLatencyHistogram[] PerSecond(long lastSecond, int count)
    {
        count = Math.Min(count, _slots.Length);
        var result = new MetricsLatencyHistogram[count];
        lock (_gate)
        {
            for (int i = 0; i < count; i++)
            {
                long second = lastSecond - count + 1 + i;
                var h = new MetricsLatencyHistogram();
                var slot = _slots[Index(second)];
                if (slot.Second == second) h.Add(slot.Latency);
                result[i] = h;
            }
        }
        return result;
    }

    private Slot SlotFor(long second)
    {
        var slot = _slots[Index(second)];
        if (slot.Second != second)
        {
            slot.Second = second;
            slot.Latency.Clear();
            slot.Errors = 0;
        }
        return slot;
    }

    private int Index(long second) => (int)(((second % _slots.Length) + _slots.Length) % _slots.Length);

    private sealed class Slot
    {
        public long Second = long.MinValue;
        public readonly MetricsLatencyHistogram Latency = new();
        public long Errors;
    }
}

/// <summary>A window's merged latencies and its error count.</summary>
public sealed record WindowTotals(MetricsLatencyHistogram Latency, long Errors);
