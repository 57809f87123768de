using System.Text;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Simulation.Planted;

/// <summary>
/// A replica that acknowledges every write but keeps only the first version of each key it stores
/// (its replica writes, repairs and handoffs all "succeed" and change nothing).
/// </summary>
public sealed class IgnoresUpdates(IPartitionStore inner) : DelegatingPartitionStore(inner)
{
    public override async ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        if (await Inner.ReadAsync(partition, key, cancellationToken) is null) await Inner.WriteAsync(partition, key, siblings, cancellationToken);
    }
}

/// <summary>A disk that acknowledges, then forgets, every write holding a value ending in 7.</summary>
public sealed class ForgetsSomeWrites(IPartitionStore inner) : DelegatingPartitionStore(inner)
{
    public override ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default) =>
        siblings.Siblings.Any(s => !s.Tombstone && Encoding.UTF8.GetString(s.Value).EndsWith('7'))
            ? ValueTask.CompletedTask
            : Inner.WriteAsync(partition, key, siblings, cancellationToken);
}

/// <summary>A "read repair" that overwrites siblings: every multi-sibling set is stored with only its last sibling.</summary>
public sealed class KeepsOneSibling(IPartitionStore inner) : DelegatingPartitionStore(inner)
{
    public override ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(partition, key, siblings.Siblings.Length > 1 ? SiblingSet.Create(siblings.Context, [siblings.Siblings[^1]]) : siblings, cancellationToken);
}

/// <summary>Tombstones dropped at once instead of after every replica holds them: a deleted key is just removed.</summary>
public sealed class DropsTombstonesEarly(IPartitionStore inner) : DelegatingPartitionStore(inner)
{
    public override async ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        if (siblings.IsDeleted) await Inner.RemoveAsync(partition, key, null, cancellationToken);
        else await Inner.WriteAsync(partition, key, siblings, cancellationToken);
    }
}

/// <summary>A merge that keeps the siblings a newer write replaced (they come back beside their successor).</summary>
public sealed class KeepsReplacedSiblings(IPartitionStore inner) : DelegatingPartitionStore(inner)
{
    public override async ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        var before = await Inner.ReadAsync(partition, key, cancellationToken);
        var kept = siblings.Siblings.ToList();
        foreach (var old in before?.Siblings ?? [])
        {
            if (!old.Tombstone && kept.All(s => s.Dot != old.Dot)) kept.Add(old);
        }
        await Inner.WriteAsync(partition, key, SiblingSet.Create(siblings.Context.Merge(before?.Context ?? VectorClock.Empty), kept), cancellationToken);
    }
}

/// <summary>A hint log that never lets go: deletes of delivered hints are ignored.</summary>
public sealed class NeverDrainsHints(IPartitionStore inner) : DelegatingPartitionStore(inner)
{
    private readonly StickyHintLog _hints = new(inner.Hints);

    public override IHintLog Hints => _hints;

    private sealed class StickyHintLog(IHintLog inner) : DelegatingHintLog(inner)
    {
        public override ValueTask DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
