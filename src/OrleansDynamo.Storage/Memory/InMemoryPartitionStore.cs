using System.Collections.Concurrent;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Memory;

/// <summary>
/// A thread-safe store in memory with the same semantics as the SQLite engine: values are kept
/// encoded (so callers cannot mutate what is stored), limits are checked, scans follow
/// <see cref="EntryOrder"/>, a value whose bytes do not decode is refused, reported and quarantined alike (it has no
/// checksum: only the decoder can refuse it). For tests, simulation and a no-disk silo.
/// </summary>
public sealed class InMemoryPartitionStore : IPartitionStore
{
    private readonly ConcurrentDictionary<int, MemoryPartition> _partitions = new();
    private readonly StoreLimits _limits;
    private readonly SortedDictionary<long, QuarantinedValue> _quarantine = [];
    private long _lastQuarantineId;
    private volatile bool _disposed;

    public InMemoryPartitionStore(StoreLimits? limits = null)
    {
        _limits = limits ?? StoreLimits.Default;
        Hints = new InMemoryHintLog(_limits, ThrowIfDisposed);
        Metadata = new InMemoryMetadataStore(ThrowIfDisposed);
    }

    public IHintLog Hints { get; }

    public IMetadataStore Metadata { get; }

    public ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        if (!_partitions.TryGetValue(partition, out var p)) return new ValueTask<SiblingSet?>((SiblingSet?)null);
        var blob = p.Get(MemoryPartition.KeyOf(key));
        if (blob is null) return new ValueTask<SiblingSet?>((SiblingSet?)null);
        if (StoredBlob.TryDecode(blob, out var set, out var reason)) return new ValueTask<SiblingSet?>(set);
        var bad = new UndecodableValue(partition, key, key.Hash, blob.ToArray(), reason);
        throw new UndecodableValueException(bad, $"the in-memory store holds a value that does not decode: {StoredValue.Name(partition, key)}: {reason}");
    }

    /// <summary>For tests: stores bytes of the caller's choosing under a key, as a damaged disk would hold them.</summary>
    internal void WriteRaw(int partition, DynamoKey key, byte[] blob) =>
        _partitions.GetOrAdd(partition, static _ => new MemoryPartition()).Put(MemoryPartition.KeyOf(key), blob.ToArray());

    public ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        _limits.Check(key, siblings);
        Enter(cancellationToken);
        _partitions.GetOrAdd(partition, static _ => new MemoryPartition()).Put(MemoryPartition.KeyOf(key), VersionCodec.EncodeSiblingSet(siblings));
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        if (!_partitions.TryGetValue(partition, out var p)) return new ValueTask<bool>(false);
        bool removed = p.Remove(MemoryPartition.KeyOf(key),
            blob => expected is null || (StoredBlob.TryDecode(blob, out var stored, out _) && stored.Equals(expected)));
        return new ValueTask<bool>(removed);
    }

    public ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        Enter(cancellationToken);
        if (!_partitions.TryGetValue(partition, out var p)) return new ValueTask<PartitionPage>(new PartitionPage([], null));
        var (rows, more) = p.Page(after, pageSize);
        var entries = new List<StoredEntry>(rows.Count);
        List<UndecodableValue>? undecodable = null;
        foreach (var (k, blob) in rows)
        {
            var key = new DynamoKey(k.Bucket, k.Key);
            if (StoredBlob.TryDecode(blob, out var set, out var reason)) entries.Add(new StoredEntry(key, k.Hash, set));
            else (undecodable ??= []).Add(new UndecodableValue(partition, key, k.Hash, blob.ToArray(), reason));
        }
        var page = new PartitionPage(entries, more ? rows[^1].Key : null);
        return new ValueTask<PartitionPage>(undecodable is null ? page : page with { Undecodable = undecodable });
    }

    public ValueTask<QuarantinedValue?> QuarantineAsync(UndecodableValue value, long quarantinedAtMs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        Enter(cancellationToken);
        if (!_partitions.TryGetValue(value.Partition, out var p)) return new ValueTask<QuarantinedValue?>((QuarantinedValue?)null);
        string reason = "";
        // Under the quarantine's lock, so ids are handed out in the order rows are moved.
        lock (_quarantine)
        {
            var blob = p.Take(new ScanCursor(value.Hash, value.Key.Bucket, value.Key.Key), b => !StoredBlob.TryDecode(b, out _, out reason));
            if (blob is null) return new ValueTask<QuarantinedValue?>((QuarantinedValue?)null);
            var moved = new QuarantinedValue(++_lastQuarantineId, value.Partition, value.Key, blob, reason, quarantinedAtMs);
            _quarantine[moved.Id] = moved;
            return new ValueTask<QuarantinedValue?>(moved with { Blob = blob.ToArray() });
        }
    }

    public ValueTask<IReadOnlyList<QuarantinedValue>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        Enter(cancellationToken);
        lock (_quarantine)
        {
            IReadOnlyList<QuarantinedValue> list = _quarantine.Where(kv => kv.Key > afterId).Take(max)
                .Select(kv => kv.Value with { Blob = kv.Value.Blob.ToArray() }).ToList();
            return new ValueTask<IReadOnlyList<QuarantinedValue>>(list);
        }
    }

    public ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        if (_partitions.TryGetValue(partition, out var p)) p.Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        var (count, bytes) = _partitions.TryGetValue(partition, out var p) ? p.Summary : (0, 0);
        return new ValueTask<PartitionSummary>(new PartitionSummary(partition, count, bytes));
    }

    public ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        var list = new List<PartitionSummary>();
        foreach (var (id, p) in _partitions.OrderBy(kv => kv.Key))
        {
            var (count, bytes) = p.Summary;
            if (count > 0) list.Add(new PartitionSummary(id, count, bytes));
        }
        return new ValueTask<IReadOnlyList<PartitionSummary>>(list);
    }

    private void Enter(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }
}
