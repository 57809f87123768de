using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Replicas;

/// <summary>One partition replica on this silo. Activated on first use by <see cref="PartitionReplicas"/>.</summary>
internal sealed class PartitionReplica(
    int partition,
    IPartitionStore store,
    TimeProvider time,
    int maxClockEntries,
    IReadOnlyList<IPartitionChangeObserver> observers,
    KeyedLock<DynamoKey> turns,
    DotEpoch epoch,
    Action<QuarantinedValue> quarantined) : IPartitionReplica
{
    // The turns live in the directory, not here: a grain deactivated while a caller still holds a
    // reference to it must not let a second activation run a concurrent turn on the same key.
    private readonly KeyedLock<DynamoKey> _turns = turns;
    private long _lastUsedTimestamp = time.GetTimestamp();

    public int Partition { get; } = partition;

    public TimeSpan IdleFor => time.GetElapsedTime(Volatile.Read(ref _lastUsedTimestamp));

    public async Task<SiblingSet?> ReadAsync(DynamoKey key, CancellationToken cancellationToken)
    {
        Touch();
        try
        {
            return await store.ReadAsync(Partition, key, cancellationToken);
        }
        catch (UndecodableValueException e)
        {
            // Absent on this replica: the coordinator's quorum answers from the others, and read repair writes it back.
            await QuarantineAsync(e.Value, cancellationToken);
            return null;
        }
    }

    public async ValueTask<CoordinatedWrite> CoordinateWriteAsync(DynamoKey key, VectorClock clientContext, byte[] value, bool tombstone, string? contentType, ConflictPolicy policy,
        CancellationToken cancellationToken)
    {
        var (updated, actor, after, persisted) = await CoordinateAsync(key,
            (before, actor) => (before ?? SiblingSet.Empty).Update(clientContext, actor, value, tombstone, time.GetUtcNow().ToUnixTimeMilliseconds(), contentType),
            updated => Finish(updated, policy), cancellationToken);
        return new CoordinatedWrite(after, new Dot(actor, updated.Context.CounterOf(actor)), persisted);
    }

    public async ValueTask<CoordinatedUpdate> CoordinateUpdateAsync(DynamoKey key, DataTypeKind kind, DataTypeOperation? operation, CausalContext? observed,
        CancellationToken cancellationToken)
    {
        // The state holds every update this silo's actor made to the key (its own replica, in the key's turn): a replica
        // that forgot some moved to a new epoch (quarantine, stray removal, dropped partition), so its dots are new.
        var (updated, _, after, persisted) = await CoordinateAsync(key, (before, actor) =>
        {
            var state = TypedValue.Unwrap(before, kind);
            return state.Apply(operation ?? TypedValue.DeleteOf(state), actor, observed).State;
        }, TypedValue.Wrap, cancellationToken);
        return new CoordinatedUpdate(after, updated, persisted);
    }

    /// <summary>
    /// The coordinator's step, in the key's turn: reads the stored set, makes the new value under the silo's dot actor
    /// (<paramref name="make"/>, given the stored set and the actor), and starts storing <paramref name="stored"/> of it.
    /// </summary>
    private async ValueTask<(T Made, string Actor, SiblingSet Stored, Task Persisted)> CoordinateAsync<T>(DynamoKey key, Func<SiblingSet?, string, T> make,
        Func<T, SiblingSet> stored, CancellationToken cancellationToken)
    {
        Touch();
        var turn = await _turns.AcquireAsync(key, cancellationToken);
        bool turnPassed = false;
        try
        {
            var before = await ReadInTurnAsync(key, cancellationToken);
            // After the read: a stored value that did not decode was quarantined there, forgetting versions this silo may have signed.
            await epoch.EnsureSignableAsync(cancellationToken);
            var (signer, made) = await SignAsync(actor => make(before, actor), cancellationToken);
            var after = stored(made);
            (var persisted, turnPassed) = await StoreMadeAsync(key, before, after, signer, turn, cancellationToken);
            return (made, signer.Actor, after, persisted);
        }
        finally
        {
            if (!turnPassed) turn.Dispose();
        }
    }

    /// <summary>
    /// Starts the local write of a set the coordinator made. While the write commits the caller may send the set on, and
    /// the key's turn goes with the returned task when <c>TurnPassed</c>; otherwise it stays with the caller.
    /// </summary>
    private async ValueTask<(Task Persisted, bool TurnPassed)> StoreMadeAsync(DynamoKey key, SiblingSet? before, SiblingSet after, DotEpoch.Signer signer, KeyedLock<DynamoKey>.Releaser turn,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Not cancelled once started: a write abandoned after its version left would cost a new epoch.
        var write = store.WriteAsync(Partition, key, after, CancellationToken.None);
        if (!write.IsCompleted && epoch.TryBeginEarlySend())
        {
            // The caller sends the version while it commits here; the turn goes with the write.
            return (PersistAsync(write, turn, key, before, after, signer.Epoch), true);
        }
        await write;
        Notify(key, before, after);
        return (Task.CompletedTask, false);
    }

    /// <summary>Exhausted epochs a coordinated write moves past before it gives up (each is one metadata write).</summary>
    private const int MaxEpochMoves = 4;

    /// <summary>
    /// Makes the new version (or typed state) under this silo's current epoch. When the key's clock (or the client's
    /// context) already holds that epoch's counter at <see cref="VectorClock.MaxCounter"/> (a made-up context merged in
    /// through another coordinator; honest use never nears it), the silo moves to a new epoch, whose actor has no counter
    /// yet, rather than be unable to coordinate writes to the key.
    /// </summary>
    private async Task<(DotEpoch.Signer Signer, T Made)> SignAsync<T>(Func<string, T> make, CancellationToken cancellationToken)
    {
        for (int moves = 0; ; moves++)
        {
            var signer = epoch.Current;
            try
            {
                return (signer, make(signer.Actor));
            }
            catch (VersionCounterOverflowException) when (moves < MaxEpochMoves)
            {
                await epoch.MovePastAsync(signer.Epoch, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Finishes a coordinated write whose version may already be on its way to other replicas, then passes
    /// the key's turn on. A failed write may leave that version elsewhere but not here: the dot it carries
    /// must never be issued again, so the silo moves past the epoch it was signed in before the turn passes.
    /// </summary>
    private async Task PersistAsync(ValueTask write, KeyedLock<DynamoKey>.Releaser turn, DynamoKey key, SiblingSet? before, SiblingSet after, long signedIn)
    {
        try
        {
            try
            {
                await write;
            }
            catch (Exception)
            {
                epoch.Lost(signedIn);
                try
                {
                    await epoch.EnsureSignableAsync(CancellationToken.None);
                }
                catch (Exception)
                {
                    // The next coordinated write moves to the new epoch before it signs (or fails without signing).
                }
                throw;
            }
            Notify(key, before, after);
        }
        finally
        {
            epoch.EndEarlySend();
            turn.Dispose();
        }
    }

    public async Task<SiblingSet> MergeAsync(DynamoKey key, SiblingSet incoming, ConflictPolicy policy, CancellationToken cancellationToken)
    {
        Touch();
        using var turn = await _turns.AcquireAsync(key, cancellationToken);
        var before = await ReadInTurnAsync(key, cancellationToken);
        var after = Finish(before is null ? policy.Merge(SiblingSet.Empty, incoming) : policy.Merge(before, incoming), policy);
        if (before is not null && after.Equals(before)) return before;
        await store.WriteAsync(Partition, key, after, cancellationToken);
        Notify(key, before, after);
        return after;
    }

    public async Task<bool> RemoveAsync(DynamoKey key, SiblingSet expected, CancellationToken cancellationToken)
    {
        Touch();
        using var turn = await _turns.AcquireAsync(key, cancellationToken);
        var stored = await ReadInTurnAsync(key, cancellationToken);
        if (stored is null || !stored.Equals(expected)) return false;
        // Forgetting a version this silo signed under its current actor would let it sign that dot
        // again: move to a new epoch first. Keys it never signed under this actor need no new epoch
        // (bumping on every removal would grow every clock past the prune bound).
        if (SignedHere(stored)) await epoch.BumpAsync(cancellationToken);
        bool removed = await store.RemoveAsync(Partition, key, expected, cancellationToken);
        if (removed) Notify(key, expected, null);
        return removed;
    }

    public async Task<bool> QuarantineAsync(UndecodableValue value, CancellationToken cancellationToken)
    {
        if (value.Partition != Partition) throw new ArgumentException($"the value of key {value.Key} is in partition {value.Partition}, not {Partition}", nameof(value));
        Touch();
        using var turn = await _turns.AcquireAsync(value.Key, cancellationToken);
        return await QuarantineInTurnAsync(value, cancellationToken);
    }

    /// <summary>The key's stored set, read in its turn; a stored value that does not decode is quarantined and read as absent.</summary>
    private async ValueTask<SiblingSet?> ReadInTurnAsync(DynamoKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ReadAsync(Partition, key, cancellationToken);
        }
        catch (UndecodableValueException e)
        {
            await QuarantineInTurnAsync(e.Value, cancellationToken);
            return null;
        }
    }

    /// <summary>
    /// Moves a value that does not decode into the store's quarantine (the store checks it still does not decode). The
    /// value may hold versions this silo signed, now forgotten here: the current dot epoch counts as lost, so no dot is
    /// signed again before the silo has moved to a new one (<see cref="DotEpoch.Lost"/>; a crash before that moves it at
    /// the next start). Observers see the key removed, so the partition's Merkle tree no longer holds it and an exchange
    /// brings it back from a replica that does.
    /// </summary>
    private async Task<bool> QuarantineInTurnAsync(UndecodableValue value, CancellationToken cancellationToken)
    {
        var moved = await store.QuarantineAsync(value, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        if (moved is null) return false;
        epoch.Lost(epoch.Epoch);
        Notify(value.Key, null, null);
        quarantined(moved);
        return true;
    }

    private SiblingSet Finish(SiblingSet set, ConflictPolicy policy) =>
        policy.DataType() is null ? policy.Resolve(set).Prune(maxClockEntries) : set;

    /// <summary>Whether the stored set holds an update this silo made under its current actor (a version's dot, or a typed state's dot or counter entry).</summary>
    private bool SignedHere(SiblingSet stored)
    {
        if (stored.Context.CounterOf(epoch.Actor) > 0) return true;
        if (!TypedValue.IsWrapped(stored)) return false;
        try
        {
            return TypedValue.Touched(DataTypeCodec.Decode(stored.Siblings[0].Value), epoch.Actor);
        }
        catch (VersionFormatException)
        {
            return true; // cannot tell: forgetting it costs at most a new epoch
        }
    }

    private void Notify(DynamoKey key, SiblingSet? before, SiblingSet? after)
    {
        for (int i = 0; i < observers.Count; i++) observers[i].OnChanged(Partition, key, before, after);
    }

    private void Touch() => Volatile.Write(ref _lastUsedTimestamp, time.GetTimestamp());
}
