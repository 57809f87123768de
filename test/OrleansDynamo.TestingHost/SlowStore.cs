using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;

namespace OrleansDynamo.TestingHost;

/// <summary>
/// A slow disk: every key read and write waits a delay drawn from <paramref name="delay"/> (seeded by
/// the caller) before reaching the inner store. Everything else passes straight through.
/// </summary>
public sealed class SlowStore(IPartitionStore inner, Func<TimeSpan> delay) : DelegatingPartitionStore(inner)
{
    public override async ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default)
    {
        await Task.Delay(delay(), cancellationToken);
        return await Inner.ReadAsync(partition, key, cancellationToken);
    }

    public override async ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        await Task.Delay(delay(), cancellationToken);
        await Inner.WriteAsync(partition, key, siblings, cancellationToken);
    }
}
