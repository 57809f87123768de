using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Faults;

/// <summary>
/// A flaky-device wrapper (after FASTER's): decorates any <see cref="IPartitionStore"/> and, before each
/// call, asks <see cref="Injector"/> with the <see cref="StoreOperation"/> name whether to fail it. A
/// non-null exception is thrown and the inner store is not touched, so an injected write never lands.
/// The injector may be swapped at any time (e.g. to heal a disk mid-test).
/// </summary>
public sealed class FaultInjectingPartitionStore : IPartitionStore
{
    private Func<string, Exception?>? _injector;
    private long _injected;

    public FaultInjectingPartitionStore(IPartitionStore inner, Func<string, Exception?>? injector = null)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _injector = injector;
        Hints = new FaultInjectingHintLog(inner.Hints, this);
        Metadata = new FaultInjectingMetadataStore(inner.Metadata, this);
    }

    public IPartitionStore Inner { get; }

    /// <summary>Decides per operation: null lets it through, an exception fails it. Null: no faults.</summary>
    public Func<string, Exception?>? Injector
    {
        get => Volatile.Read(ref _injector);
        set => Volatile.Write(ref _injector, value);
    }

    /// <summary>How many calls were failed so far.</summary>
    public long InjectedFaults => Interlocked.Read(ref _injected);

    public IHintLog Hints { get; }

    public IMetadataStore Metadata { get; }

    /// <summary>An injector failing every listed operation.</summary>
    public static Func<string, Exception?> Failing(params string[] operations)
    {
        var set = new HashSet<string>(operations, StringComparer.Ordinal);
        return op => set.Contains(op) ? new InjectedStorageFaultException(op) : null;
    }

    /// <summary>An injector failing every write operation (a full or read-only disk).</summary>
    public static Func<string, Exception?> FailingWrites() => op => StoreOperation.Writes.Contains(op) ? new InjectedStorageFaultException(op) : null;

    /// <summary>An injector failing each listed operation with probability <paramref name="p"/>, reproducible from <paramref name="seed"/>.</summary>
    public static Func<string, Exception?> Random(double p, int seed, params string[] operations)
    {
        var random = new Random(seed);
        var set = new HashSet<string>(operations, StringComparer.Ordinal);
        return op =>
        {
            if (set.Count > 0 && !set.Contains(op)) return null;
            lock (random) return random.NextDouble() < p ? new InjectedStorageFaultException(op) : null;
        };
    }

    internal void Check(string operation)
    {
        var error = Injector?.Invoke(operation);
        if (error is null) return;
        Interlocked.Increment(ref _injected);
        throw error;
    }

    public ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.Read);
        return Inner.ReadAsync(partition, key, cancellationToken);
    }

    public ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.Write);
        return Inner.WriteAsync(partition, key, siblings, cancellationToken);
    }

    public ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.Remove);
        return Inner.RemoveAsync(partition, key, expected, cancellationToken);
    }

    public ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.Scan);
        return Inner.ScanAsync(partition, after, pageSize, cancellationToken);
    }

    public ValueTask<QuarantinedValue?> QuarantineAsync(UndecodableValue value, long quarantinedAtMs, CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.Quarantine);
        return Inner.QuarantineAsync(value, quarantinedAtMs, cancellationToken);
    }

    public ValueTask<IReadOnlyList<QuarantinedValue>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.QuarantineList);
        return Inner.ListQuarantinedAsync(afterId, max, cancellationToken);
    }

    public ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.DropPartition);
        return Inner.DropPartitionAsync(partition, cancellationToken);
    }

    public ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.Summarize);
        return Inner.SummarizeAsync(partition, cancellationToken);
    }

    public ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default)
    {
        Check(StoreOperation.Summarize);
        return Inner.SummarizeAllAsync(cancellationToken);
    }

    /// <summary>Disposes the inner store.</summary>
    public ValueTask DisposeAsync() => Inner.DisposeAsync();
}
