using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Memory;

/// <summary>The hint log of <see cref="InMemoryPartitionStore"/>: per target, hints sorted by id.</summary>
internal sealed class InMemoryHintLog(StoreLimits limits, Action throwIfDisposed) : IHintLog
{
    private sealed record Row(int Partition, DynamoKey Key, byte[] Blob, long CreatedAtMs);

    private readonly object _lock = new();
    private readonly Dictionary<string, SortedDictionary<long, Row>> _byTarget = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _targetOf = [];
    private long _lastId;

    public ValueTask<long> AppendAsync(Hint hint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hint);
        ArgumentNullException.ThrowIfNull(hint.TargetSilo);
        limits.Check(hint.Key, hint.Siblings);
        Enter(cancellationToken);
        var row = new Row(hint.Partition, hint.Key, VersionCodec.EncodeSiblingSet(hint.Siblings), hint.CreatedAtMs);
        lock (_lock)
        {
            long id = ++_lastId;
            if (!_byTarget.TryGetValue(hint.TargetSilo, out var rows)) _byTarget[hint.TargetSilo] = rows = [];
            rows.Add(id, row);
            _targetOf[id] = hint.TargetSilo;
            return new ValueTask<long>(id);
        }
    }

    public ValueTask<IReadOnlyList<StoredHint>> ListAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targetSilo);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        Enter(cancellationToken);
        var picked = new List<(long Id, Row Row)>();
        lock (_lock)
        {
            if (_byTarget.TryGetValue(targetSilo, out var rows))
            {
                foreach (var (id, row) in rows)
                {
                    if (id <= afterId) continue;
                    picked.Add((id, row));
                    if (picked.Count == max) break;
                }
            }
        }
        IReadOnlyList<StoredHint> result = picked
            .Select(p => new StoredHint(p.Id, new Hint(targetSilo, p.Row.Partition, p.Row.Key, VersionCodec.DecodeSiblingSet(p.Row.Blob), p.Row.CreatedAtMs)))
            .ToList();
        return new ValueTask<IReadOnlyList<StoredHint>>(result);
    }

    public ValueTask DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        Enter(cancellationToken);
        lock (_lock)
        {
            foreach (long id in ids)
            {
                if (!_targetOf.Remove(id, out var target)) continue;
                var rows = _byTarget[target];
                rows.Remove(id);
                if (rows.Count == 0) _byTarget.Remove(target);
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyDictionary<string, long>> CountByTargetAsync(CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        lock (_lock)
        {
            IReadOnlyDictionary<string, long> counts = _byTarget.ToDictionary(kv => kv.Key, kv => (long)kv.Value.Count, StringComparer.Ordinal);
            return new ValueTask<IReadOnlyDictionary<string, long>>(counts);
        }
    }

    private void Enter(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        throwIfDisposed();
    }
}
