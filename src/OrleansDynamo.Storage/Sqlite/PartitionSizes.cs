namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// Key count and bytes per partition, kept in memory: counted once when the store opens, then moved
/// by every committed write. Summaries are read by background services every second or so; a
/// GROUP BY over the whole table each time cost a full scan (over a second of CPU at 1M keys).
/// </summary>
internal sealed class PartitionSizes
{
    private readonly Dictionary<int, (long Count, long Bytes)> _sizes = new();

    public void Set(int partition, long count, long bytes)
    {
        lock (_sizes) _sizes[partition] = (count, bytes);
    }

    public void Add(int partition, long count, long bytes)
    {
        if (count == 0 && bytes == 0) return;
        lock (_sizes)
        {
            var (c, b) = _sizes.GetValueOrDefault(partition);
            c += count;
            b += bytes;
            if (c <= 0) _sizes.Remove(partition);
            else _sizes[partition] = (c, b);
        }
    }

    public void Drop(int partition)
    {
        lock (_sizes) _sizes.Remove(partition);
    }

    public PartitionSummary Get(int partition)
    {
        lock (_sizes)
        {
            var (c, b) = _sizes.GetValueOrDefault(partition);
            return new PartitionSummary(partition, c, b);
        }
    }

    public IReadOnlyList<PartitionSummary> Snapshot()
    {
        lock (_sizes)
        {
            var list = new List<PartitionSummary>(_sizes.Count);
            foreach (var (p, (c, b)) in _sizes) list.Add(new PartitionSummary(p, c, b));
            list.Sort((x, y) => x.Partition.CompareTo(y.Partition));
            return list;
        }
    }
}
