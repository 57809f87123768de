using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.FaultInjection;

/// <summary>
/// The store-side planted bugs of <see cref="FaultInjectionOptions"/>: ack-before-write answers a write before it is
/// committed (a kill -9 in the delay loses it), skip-tombstones removes a deleted key instead of storing its tombstone.
/// </summary>
internal sealed class PlantedFaultStore(IPartitionStore inner, FaultInjectionOptions options) : DelegatingPartitionStore(inner)
{
    public static IPartitionStore Wrap(IPartitionStore store, FaultInjectionOptions options) =>
        options.Plant is FaultInjectionOptions.AckBeforeWrite or FaultInjectionOptions.SkipTombstones ? new PlantedFaultStore(store, options) : store;

    public override ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        switch (options.Plant)
        {
            case FaultInjectionOptions.AckBeforeWrite:
                _ = Task.Run(async () =>
                {
                    await Task.Delay(options.AckBeforeWriteDelayMs);
                    await Inner.WriteAsync(partition, key, siblings, CancellationToken.None);
                });
                return ValueTask.CompletedTask;
            case FaultInjectionOptions.SkipTombstones when siblings.IsDeleted && !siblings.Siblings.IsEmpty:
                return RemoveAsync(partition, key, cancellationToken);
            default:
                return Inner.WriteAsync(partition, key, siblings, cancellationToken);
        }
    }

    private async ValueTask RemoveAsync(int partition, DynamoKey key, CancellationToken cancellationToken) =>
        await Inner.RemoveAsync(partition, key, null, cancellationToken);
}
