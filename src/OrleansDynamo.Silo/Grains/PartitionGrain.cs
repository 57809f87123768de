using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Grains;

/// <summary>One partition replica on this silo. Activated on first use by <see cref="PartitionGrainDirectory"/>.</summary>
internal sealed class PartitionGrain(
    int partition,
    IPartitionStore store,
    TimeProvider time,
    int maxClockEntries,
    IReadOnlyList<IPartitionChangeObserver> observers,
    KeyedLock<DynamoKey> turns,
    DotEpoch epoch) : IPartitionGrain
{
    // The turns live in the directory, not here: a grain deactivated while a caller still holds a
    // reference to it must not let a second activation run a concurrent turn on the same key.
    private readonly KeyedLock<DynamoKey> _turns = turns;
    private long _lastUsedTimestamp = time.GetTimestamp();

    public int Partition { get; } = partition;

    public TimeSpan IdleFor => time.GetElapsedTime(Volatile.Read(ref _lastUsedTimestamp));

    public Task<SiblingSet?> ReadAsync(DynamoKey key, CancellationToken cancellationToken)
    {
        Touch();
        return store.ReadAsync(Partition, key, cancellationToken).AsTask();
    }

    public async Task<(SiblingSet Stored, Dot NewDot)> CoordinateWriteAsync(DynamoKey key, VectorClock clientContext, byte[] value, bool tombstone, ConflictPolicy policy, CancellationToken cancellationToken)
    {
        Touch();
        using var turn = await _turns.AcquireAsync(key, cancellationToken);
        var before = await store.ReadAsync(Partition, key, cancellationToken);
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        string actor = epoch.Actor;
        var updated = (before ?? SiblingSet.Empty).Update(clientContext, actor, value, tombstone, now);
        var dot = new Dot(actor, updated.Context.CounterOf(actor));
        var after = Finish(updated, policy);
        await store.WriteAsync(Partition, key, after, cancellationToken);
        Notify(key, before, after);
        return (after, dot);
    }

    public async Task<SiblingSet> MergeAsync(DynamoKey key, SiblingSet incoming, ConflictPolicy policy, CancellationToken cancellationToken)
    {
        Touch();
        using var turn = await _turns.AcquireAsync(key, cancellationToken);
        var before = await store.ReadAsync(Partition, key, cancellationToken);
        var after = Finish(before is null ? incoming : before.Merge(incoming), policy);
        if (before is not null && after.Equals(before)) return before;
        await store.WriteAsync(Partition, key, after, cancellationToken);
        Notify(key, before, after);
        return after;
    }

    public async Task<bool> RemoveAsync(DynamoKey key, SiblingSet expected, CancellationToken cancellationToken)
    {
        Touch();
        using var turn = await _turns.AcquireAsync(key, cancellationToken);
        var stored = await store.ReadAsync(Partition, key, cancellationToken);
        if (stored is null || !stored.Equals(expected)) return false;
        // Forgetting a version this silo signed under its current actor would let it sign that dot
        // again: move to a new epoch first. Keys it never signed under this actor need no new epoch
        // (bumping on every removal would grow every clock past the prune bound).
        if (stored.Context.CounterOf(epoch.Actor) > 0) await epoch.BumpAsync(cancellationToken);
        bool removed = await store.RemoveAsync(Partition, key, expected, cancellationToken);
        if (removed) Notify(key, expected, null);
        return removed;
    }

    private SiblingSet Finish(SiblingSet set, ConflictPolicy policy)
    {
        if (policy == ConflictPolicy.LastWriteWins) set = set.ResolveLastWriteWins();
        return set.Prune(maxClockEntries);
    }

    private void Notify(DynamoKey key, SiblingSet? before, SiblingSet? after)
    {
        foreach (var o in observers) o.OnChanged(Partition, key, before, after);
    }

    private void Touch() => Volatile.Write(ref _lastUsedTimestamp, time.GetTimestamp());
}
