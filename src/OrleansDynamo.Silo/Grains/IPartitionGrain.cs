using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// The single owner of one partition replica on one silo (a riak_core vnode): every change to a key
/// is one turn, so two concurrent puts on one silo cannot lose each other.
/// </summary>
public interface IPartitionGrain
{
    int Partition { get; }

    /// <summary>The replica's stored set for a key, or null.</summary>
    Task<SiblingSet?> ReadAsync(DynamoKey key, CancellationToken cancellationToken);

    /// <summary>The coordinator's step: a new version from the client's context, stored here first; returns the stored set and the new version's dot.</summary>
    Task<(SiblingSet Stored, Dot NewDot)> CoordinateWriteAsync(DynamoKey key, VectorClock clientContext, byte[] value, bool tombstone, ConflictPolicy policy, CancellationToken cancellationToken);

    /// <summary>The replica's step: merge an incoming set with the stored one; returns the result.</summary>
    Task<SiblingSet> MergeAsync(DynamoKey key, SiblingSet incoming, ConflictPolicy policy, CancellationToken cancellationToken);

    /// <summary>Removes a key whose stored set still equals <paramref name="expected"/> (tombstone GC).</summary>
    Task<bool> RemoveAsync(DynamoKey key, SiblingSet expected, CancellationToken cancellationToken);
}

/// <summary>Told of every change a grain persists (Merkle trees, metrics). Called inside the key's turn.</summary>
public interface IPartitionChangeObserver
{
    void OnChanged(int partition, DynamoKey key, SiblingSet? before, SiblingSet? after);
}
