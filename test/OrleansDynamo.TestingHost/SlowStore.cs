using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;

namespace OrleansDynamo.TestingHost;

/// <summary>
/// A slow disk: every key read and write waits a delay drawn from <paramref name="delay"/> (seeded by
/// the caller) before reaching the inner store. Everything else passes straight through.
/// </summary>
public sealed class SlowStore(IPartitionStore inner, Func<TimeSpan> delay) : IPartitionStore
{
    public IHintLog Hints => inner.Hints;

    public IMetadataStore Metadata => inner.Metadata;

    public async ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default)
    {
        await Task.Delay(delay(), cancellationToken);
        return await inner.ReadAsync(partition, key, cancellationToken);
    }

    public async ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        await Task.Delay(delay(), cancellationToken);
        await inner.WriteAsync(partition, key, siblings, cancellationToken);
    }

    public ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default) =>
        inner.RemoveAsync(partition, key, expected, cancellationToken);

    public ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default) =>
        inner.ScanAsync(partition, after, pageSize, cancellationToken);

    public ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default) => inner.DropPartitionAsync(partition, cancellationToken);

    public ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default) => inner.SummarizeAsync(partition, cancellationToken);

    public ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default) => inner.SummarizeAllAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
