using System.Collections.Concurrent;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Memory;

/// <summary>
/// A thread-safe store in memory with the same semantics as the SQLite engine: values are kept
/// encoded (so callers cannot mutate what is stored), limits are checked, scans follow
/// <see cref="EntryOrder"/>. For tests, simulation and a no-disk silo.
/// </summary>
public sealed class InMemoryPartitionStore : IPartitionStore
{
    private readonly ConcurrentDictionary<int, MemoryPartition> _partitions = new();
    private readonly StoreLimits _limits;
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
        return new ValueTask<SiblingSet?>(blob is null ? null : VersionCodec.DecodeSiblingSet(blob));
    }

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
        bool removed = p.Remove(MemoryPartition.KeyOf(key), blob => expected is null || VersionCodec.DecodeSiblingSet(blob).Equals(expected));
        return new ValueTask<bool>(removed);
    }

    public ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        Enter(cancellationToken);
        if (!_partitions.TryGetValue(partition, out var p)) return new ValueTask<PartitionPage>(new PartitionPage([], null));
        var (rows, more) = p.Page(after, pageSize);
        var entries = new List<StoredEntry>(rows.Count);
        foreach (var (k, blob) in rows)
            entries.Add(new StoredEntry(new DynamoKey(k.Bucket, k.Key), k.Hash, VersionCodec.DecodeSiblingSet(blob)));
        ScanCursor? next = more ? rows[^1].Key : null;
        return new ValueTask<PartitionPage>(new PartitionPage(entries, next));
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
