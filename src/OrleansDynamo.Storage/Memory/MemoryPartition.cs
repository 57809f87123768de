using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Storage.Memory;

/// <summary>
/// One partition of <see cref="InMemoryPartitionStore"/>: a sorted set of keys in scan order plus
/// their encoded blobs, behind one lock. Pages are cut under the lock, so a scan that resumes
/// strictly after its cursor sees every key present throughout exactly once.
/// </summary>
internal sealed class MemoryPartition
{
    private static readonly IComparer<ScanCursor> Order = Comparer<ScanCursor>.Create((a, b) => EntryOrder.Compare(a, b));

    private readonly object _lock = new();
    private readonly SortedSet<ScanCursor> _order = new(Order);
    private readonly Dictionary<ScanCursor, byte[]> _blobs = [];
    private long _bytes;

    public byte[]? Get(in ScanCursor key)
    {
        lock (_lock) return _blobs.GetValueOrDefault(key);
    }

    public void Put(in ScanCursor key, byte[] blob)
    {
        lock (_lock)
        {
            if (_blobs.TryGetValue(key, out var old)) _bytes -= old.Length;
            else _order.Add(key);
            _blobs[key] = blob;
            _bytes += blob.Length;
        }
    }

    /// <summary>Removes the key if <paramref name="matches"/> accepts its current blob.</summary>
    public bool Remove(in ScanCursor key, Func<byte[], bool> matches) => Take(key, matches) is not null;

    /// <summary>Removes the key if <paramref name="matches"/> accepts its current blob; returns the blob removed, or null.</summary>
    public byte[]? Take(in ScanCursor key, Func<byte[], bool> matches)
    {
        lock (_lock)
        {
            if (!_blobs.TryGetValue(key, out var old) || !matches(old)) return null;
            _blobs.Remove(key);
            _order.Remove(key);
            _bytes -= old.Length;
            return old;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _blobs.Clear();
            _order.Clear();
            _bytes = 0;
        }
    }

    public (long Count, long Bytes) Summary
    {
        get
        {
            lock (_lock) return (_order.Count, _bytes);
        }
    }

    /// <summary>Up to <paramref name="max"/> keys strictly after <paramref name="after"/>, and whether more follow.</summary>
    public (List<(ScanCursor Key, byte[] Blob)> Rows, bool More) Page(ScanCursor? after, int max)
    {
        var rows = new List<(ScanCursor, byte[])>(Math.Min(max, 1024));
        lock (_lock)
        {
            if (_order.Count == 0) return (rows, false);
            IEnumerable<ScanCursor> view = _order;
            if (after is { } a)
            {
                var last = _order.Max;
                if (Order.Compare(a, last) >= 0) return (rows, false);
                view = _order.GetViewBetween(a, last);
            }
            foreach (var key in view)
            {
                if (after is { } cursor && Order.Compare(key, cursor) <= 0) continue;
                if (rows.Count == max) return (rows, true);
                rows.Add((key, _blobs[key]));
            }
        }
        return (rows, false);
    }

    public static ScanCursor KeyOf(DynamoKey key) => new(key.Hash, key.Bucket, key.Key);
}
