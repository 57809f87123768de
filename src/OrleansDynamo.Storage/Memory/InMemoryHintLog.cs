using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Memory;

/// <summary>The hint log of <see cref="InMemoryPartitionStore"/>: per target, hints sorted by id; beside it the quarantine.</summary>
internal sealed class InMemoryHintLog(StoreLimits limits, Action throwIfDisposed) : IHintLog
{
    private sealed record Row(int Partition, DynamoKey Key, byte[] Blob, long CreatedAtMs);

    private readonly object _lock = new();
    private readonly Dictionary<string, SortedDictionary<long, Row>> _byTarget = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _targetOf = [];
    private readonly SortedDictionary<long, QuarantinedHint> _quarantine = [];
    private long _lastId;

    public ValueTask<long> AppendAsync(Hint hint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hint);
        ArgumentNullException.ThrowIfNull(hint.TargetSilo);
        limits.Check(hint.Key, hint.Siblings);
        Enter(cancellationToken);
        return new ValueTask<long>(Append(hint.TargetSilo, new Row(hint.Partition, hint.Key, VersionCodec.EncodeSiblingSet(hint.Siblings), hint.CreatedAtMs)));
    }

    /// <summary>For tests: appends a row with bytes of the caller's choosing, as a damaged disk would hold them.</summary>
    internal long AppendRaw(string targetSilo, int partition, DynamoKey key, byte[] blob, long createdAtMs) =>
        Append(targetSilo, new Row(partition, key, blob.ToArray(), createdAtMs));

    private long Append(string targetSilo, Row row)
    {
        lock (_lock)
        {
            long id = ++_lastId;
            if (!_byTarget.TryGetValue(targetSilo, out var rows)) _byTarget[targetSilo] = rows = [];
            rows.Add(id, row);
            _targetOf[id] = targetSilo;
            return id;
        }
    }

    public ValueTask<HintPage> ReadPageAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default)
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
        var hints = new List<StoredHint>(picked.Count);
        var undecodable = new List<UndecodableHint>();
        foreach (var (id, row) in picked)
        {
            if (StoredBlob.TryDecode(row.Blob, out var set, out var reason))
                hints.Add(new StoredHint(id, new Hint(targetSilo, row.Partition, row.Key, set, row.CreatedAtMs)));
            else
                undecodable.Add(new UndecodableHint(id, targetSilo, row.Partition, row.Key, row.Blob.ToArray(), row.CreatedAtMs, reason));
        }
        return new ValueTask<HintPage>(new HintPage(hints, undecodable));
    }

    public ValueTask DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        Enter(cancellationToken);
        lock (_lock)
        {
            foreach (long id in ids) Remove(id);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> QuarantineAsync(long id, string reason, long quarantinedAtMs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Enter(cancellationToken);
        lock (_lock)
        {
            if (Remove(id) is not ({ } target, { } row)) return new ValueTask<bool>(false);
            _quarantine[id] = new QuarantinedHint(id, target, row.Partition, row.Key, row.Blob, row.CreatedAtMs, reason, quarantinedAtMs);
            return new ValueTask<bool>(true);
        }
    }

    public ValueTask<IReadOnlyList<QuarantinedHint>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        Enter(cancellationToken);
        lock (_lock)
        {
            IReadOnlyList<QuarantinedHint> list = _quarantine.Where(kv => kv.Key > afterId).Take(max)
                .Select(kv => kv.Value with { Blob = kv.Value.Blob.ToArray() }).ToList();
            return new ValueTask<IReadOnlyList<QuarantinedHint>>(list);
        }
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

    /// <summary>Takes a row out of the log (under the lock); null when there is none.</summary>
    private (string Target, Row Row)? Remove(long id)
    {
        if (!_targetOf.Remove(id, out var target)) return null;
        var rows = _byTarget[target];
        rows.Remove(id, out var row);
        if (rows.Count == 0) _byTarget.Remove(target);
        return (target, row!);
    }

    private void Enter(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        throwIfDisposed();
    }
}
