using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage;
using OrleansDynamo.Storage.Memory;

namespace OrleansDynamo.Simulation.World;

/// <summary>
/// One silo's disk: the in-memory engine (which completes every call synchronously), outliving the
/// silo's incarnations. In <see cref="DurabilityMode.Normal"/> it remembers the writes since the last
/// sync; a crash undoes a seeded number of the latest ones (a power loss before the WAL was synced).
/// In <see cref="DurabilityMode.Full"/> every acknowledged write survives a crash.
/// Each incarnation sees the disk through a <see cref="Storage.Faults.FaultInjectingPartitionStore"/>.
/// </summary>
public sealed class SimulatedDisk : IPartitionStore
{
    private readonly InMemoryPartitionStore _inner = new();
    private readonly SimScheduler _scheduler;
    private readonly List<Action> _unsynced = [];
    private readonly UndoHintLog _hints;

    public SimulatedDisk(SimScheduler scheduler, DurabilityMode durability)
    {
        _scheduler = scheduler;
        Durability = durability;
        _hints = new UndoHintLog(this);
    }

    public DurabilityMode Durability { get; }

    /// <summary>Writes undone by crashes so far.</summary>
    public int WritesLost { get; private set; }

    public int Unsynced => _unsynced.Count;

    public IHintLog Hints => _hints;

    public IMetadataStore Metadata => _inner.Metadata;

    /// <summary>The engine itself, for checkers (bypasses fault injection and the thread check).</summary>
    public IPartitionStore Raw => _inner;

    /// <summary>A checkpoint: everything written so far is durable.</summary>
    public void Sync() => _unsynced.Clear();

    /// <summary>Power loss: undoes up to <paramref name="max"/> of the latest unsynced writes; returns how many.</summary>
    public int Crash(int max)
    {
        int n = Durability == DurabilityMode.Normal ? Math.Min(max, _unsynced.Count) : 0;
        for (int i = 0; i < n; i++)
        {
            _unsynced[^1]();
            _unsynced.RemoveAt(_unsynced.Count - 1);
        }
        _unsynced.Clear();
        WritesLost += n;
        return n;
    }

    private void Check() => _scheduler.CheckThread("store call");

    private void Remember(Action undo)
    {
        if (Durability == DurabilityMode.Normal) _unsynced.Add(undo);
    }

    public async ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default)
    {
        Check();
        return await _inner.ReadAsync(partition, key, cancellationToken);
    }

    public async ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        Check();
        var before = Durability == DurabilityMode.Normal ? await _inner.ReadAsync(partition, key, cancellationToken) : null;
        await _inner.WriteAsync(partition, key, siblings, cancellationToken);
        Remember(() => Restore(partition, key, before));
    }

    public async ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default)
    {
        Check();
        var before = Durability == DurabilityMode.Normal ? await _inner.ReadAsync(partition, key, cancellationToken) : null;
        bool removed = await _inner.RemoveAsync(partition, key, expected, cancellationToken);
        if (removed) Remember(() => Restore(partition, key, before));
        return removed;
    }

    private void Restore(int partition, DynamoKey key, SiblingSet? before)
    {
        if (before is null) _inner.RemoveAsync(partition, key).AsTask().GetAwaiter().GetResult();
        else _inner.WriteAsync(partition, key, before).AsTask().GetAwaiter().GetResult();
    }

    public ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default)
    {
        Check();
        return _inner.ScanAsync(partition, after, pageSize, cancellationToken);
    }

    public ValueTask<QuarantinedValue?> QuarantineAsync(UndecodableValue value, long quarantinedAtMs, CancellationToken cancellationToken = default)
    {
        Check();
        // The simulation never stores bytes that do not decode; a value quarantined again after a crash would be harmless.
        return _inner.QuarantineAsync(value, quarantinedAtMs, cancellationToken);
    }

    public ValueTask<IReadOnlyList<QuarantinedValue>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
    {
        Check();
        return _inner.ListQuarantinedAsync(afterId, max, cancellationToken);
    }

    public ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default)
    {
        Check();
        // Not undoable: a dropped partition is treated as synced (the engine checkpoints on drop).
        _unsynced.Clear();
        return _inner.DropPartitionAsync(partition, cancellationToken);
    }

    public ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default)
    {
        Check();
        return _inner.SummarizeAsync(partition, cancellationToken);
    }

    public ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default)
    {
        Check();
        return _inner.SummarizeAllAsync(cancellationToken);
    }

    /// <summary>The disk outlives its silo: an incarnation's dispose leaves it alone.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class UndoHintLog(SimulatedDisk disk) : DelegatingHintLog(disk._inner.Hints)
    {
        public override async ValueTask<long> AppendAsync(Hint hint, CancellationToken cancellationToken = default)
        {
            disk.Check();
            long id = await Inner.AppendAsync(hint, cancellationToken);
            disk.Remember(() => Inner.DeleteAsync([id]).AsTask().GetAwaiter().GetResult());
            return id;
        }

        public override ValueTask<HintPage> ReadPageAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default)
        {
            disk.Check();
            return Inner.ReadPageAsync(targetSilo, afterId, max, cancellationToken);
        }

        public override ValueTask DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
        {
            disk.Check();
            // Deleting a delivered hint again after a crash is harmless; not undone.
            return Inner.DeleteAsync(ids, cancellationToken);
        }

        public override ValueTask<bool> QuarantineAsync(long id, string reason, long quarantinedAtMs, CancellationToken cancellationToken = default)
        {
            disk.Check();
            // A hint that does not decode is quarantined again after a crash; not undone.
            return Inner.QuarantineAsync(id, reason, quarantinedAtMs, cancellationToken);
        }

        public override ValueTask<IReadOnlyList<QuarantinedHint>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
        {
            disk.Check();
            return Inner.ListQuarantinedAsync(afterId, max, cancellationToken);
        }

        public override ValueTask<IReadOnlyDictionary<string, long>> CountByTargetAsync(CancellationToken cancellationToken = default)
        {
            disk.Check();
            return Inner.CountByTargetAsync(cancellationToken);
        }
    }
}
