using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage;

/// <summary>
/// A store that passes every call to <see cref="Inner"/>: the base of decorators (slow disks, planted faults, held
/// commits in tests), which override only the calls they change. Disposing it disposes the inner store.
/// </summary>
public class DelegatingPartitionStore(IPartitionStore inner) : IPartitionStore
{
    protected IPartitionStore Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public virtual IHintLog Hints => Inner.Hints;

    public virtual IMetadataStore Metadata => Inner.Metadata;

    public virtual ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(partition, key, cancellationToken);

    public virtual ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(partition, key, siblings, cancellationToken);

    public virtual ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default) =>
        Inner.RemoveAsync(partition, key, expected, cancellationToken);

    public virtual ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default) =>
        Inner.ScanAsync(partition, after, pageSize, cancellationToken);

    public virtual ValueTask<QuarantinedValue?> QuarantineAsync(UndecodableValue value, long quarantinedAtMs, CancellationToken cancellationToken = default) =>
        Inner.QuarantineAsync(value, quarantinedAtMs, cancellationToken);

    public virtual ValueTask<IReadOnlyList<QuarantinedValue>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default) =>
        Inner.ListQuarantinedAsync(afterId, max, cancellationToken);

    public virtual ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default) =>
        Inner.DropPartitionAsync(partition, cancellationToken);

    public virtual ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default) =>
        Inner.SummarizeAsync(partition, cancellationToken);

    public virtual ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default) =>
        Inner.SummarizeAllAsync(cancellationToken);

    public virtual ValueTask DisposeAsync() => Inner.DisposeAsync();
}
