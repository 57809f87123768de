using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Replicas;

/// <summary>
/// The single owner of one partition replica on one silo (a riak_core vnode): every change to a key
/// is one turn, so two concurrent puts on one silo cannot lose each other.
/// </summary>
public interface IPartitionReplica
{
    int Partition { get; }

    /// <summary>
    /// The replica's stored set for a key, or null. A stored value that does not decode is quarantined
    /// (<see cref="QuarantineAsync"/>) and answered as absent, never as an error.
    /// </summary>
    Task<SiblingSet?> ReadAsync(DynamoKey key, CancellationToken cancellationToken);

    /// <summary>
    /// The coordinator's step: a new version from the client's context and the stored set, made in the key's
    /// turn. Returns once the version is made and its local write has started: the caller may send it to the
    /// other replicas at once and counts this replica's ack when <see cref="CoordinatedWrite.Persisted"/>
    /// completes. The key's turn lasts until then, so the next write of the key builds on this one.
    /// <paramref name="contentType"/> goes with the new version (null: none; the caller checked it).
    /// </summary>
    ValueTask<CoordinatedWrite> CoordinateWriteAsync(DynamoKey key, VectorClock clientContext, byte[] value, bool tombstone, string? contentType, ConflictPolicy policy,
        CancellationToken cancellationToken);

    /// <summary>
    /// The coordinator's step of a typed bucket's update: applies <paramref name="operation"/> (null: delete what
    /// <paramref name="observed"/> saw) to this replica's state of the key under the silo's dot actor, in the key's turn,
    /// and stores the new state; as <see cref="CoordinateWriteAsync"/>, the local write may still be committing.
    /// </summary>
    /// <exception cref="Core.DataTypes.DataTypeOperationException">The operation is refused; nothing changed.</exception>
    ValueTask<CoordinatedUpdate> CoordinateUpdateAsync(DynamoKey key, Core.DataTypes.DataTypeKind kind, Core.DataTypes.DataTypeOperation? operation,
        Core.DataTypes.CausalContext? observed, CancellationToken cancellationToken);

    /// <summary>The replica's step: merge an incoming set with the stored one; returns the result.</summary>
    Task<SiblingSet> MergeAsync(DynamoKey key, SiblingSet incoming, ConflictPolicy policy, CancellationToken cancellationToken);

    /// <summary>Removes a key whose stored set still equals <paramref name="expected"/> (tombstone GC).</summary>
    Task<bool> RemoveAsync(DynamoKey key, SiblingSet expected, CancellationToken cancellationToken);

    /// <summary>
    /// In the key's turn, moves a stored value that does not decode (found by a read or a scan) into the store's
    /// quarantine, counted and logged; the key is absent here from then on, until a write, read repair or anti-entropy
    /// brings it back. False when the store holds no such value any more (written again, removed, already quarantined).
    /// Every write and read of the grain does this itself when it meets such a value.
    /// </summary>
    Task<bool> QuarantineAsync(UndecodableValue value, CancellationToken cancellationToken);
}

/// <summary>
/// A version the coordinator made: the set being stored, the new version's dot, and the local write, which
/// completes when the set is durable here (faults when the write failed; the set must then count as not
/// stored here). Already complete when the write finished before the grain returned.
/// </summary>
public readonly record struct CoordinatedWrite(SiblingSet Stored, Dot NewDot, Task Persisted);

/// <summary>A typed update the coordinator made: the set being stored (the wrapped state), the state, and the local write.</summary>
public readonly record struct CoordinatedUpdate(SiblingSet Stored, Core.DataTypes.DataTypeState State, Task Persisted);

/// <summary>Told of every change a grain persists (Merkle trees, metrics). Called inside the key's turn.</summary>
public interface IPartitionChangeObserver
{
    void OnChanged(int partition, DynamoKey key, SiblingSet? before, SiblingSet? after);
}
