using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Simulation.Planted;

/// <summary>A store that passes every call through; planted faults override the calls they break.</summary>
public class DelegatingPartitionStore(IPartitionStore inner) : IPartitionStore
{
    protected IPartitionStore Inner { get; } = inner;

    public virtual IHintLog Hints => Inner.Hints;

    public IMetadataStore Metadata => Inner.Metadata;

    public virtual ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(partition, key, cancellationToken);

    public virtual ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(partition, key, siblings, cancellationToken);

    public virtual ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default) =>
        Inner.RemoveAsync(partition, key, expected, cancellationToken);

    public ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default) =>
        Inner.ScanAsync(partition, after, pageSize, cancellationToken);

    public ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default) =>
        Inner.DropPartitionAsync(partition, cancellationToken);

    public ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default) =>
        Inner.SummarizeAsync(partition, cancellationToken);

    public ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default) =>
        Inner.SummarizeAllAsync(cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
