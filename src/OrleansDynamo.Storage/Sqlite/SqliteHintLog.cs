using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// The hint log in table <c>hints</c> and its quarantine in table <c>hint_quarantine</c>: appends, deletes and moves
/// to the quarantine are group-committed like key writes.
/// </summary>
internal sealed class SqliteHintLog(SqlitePartitionStore store, SqliteReadPool reads, StoreLimits limits) : IHintLog
{
    public ValueTask<long> AppendAsync(Hint hint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hint);
        ArgumentNullException.ThrowIfNull(hint.TargetSilo);
        limits.Check(hint.Key, hint.Siblings);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        byte[] blob = VersionCodec.EncodeSiblingSet(hint.Siblings);
        long crc = BlobChecksum.Compute(default, blob);
        var op = new AppendHintOp(hint.TargetSilo, hint.Partition, hint.Key.Bucket, hint.Key.Key, blob, hint.CreatedAtMs, crc);
        return new ValueTask<long>(store.Writer.Enqueue(op));
    }

    public ValueTask<HintPage> ReadPageAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targetSilo);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        return reads.RunAsync((targetSilo, afterId, max), static (s, st) =>
        {
            var ps = s.ListHints.Parameters;
            ps[0].Value = st.targetSilo;
            ps[1].Value = st.afterId;
            ps[2].Value = st.max;
            var hints = new List<StoredHint>();
            var undecodable = new List<UndecodableHint>();
            using var r = s.ListHints.ExecuteReader();
            while (r.Read())
            {
                long id = r.GetInt64(0);
                int partition = r.GetInt32(1);
                var key = new DynamoKey(r.GetString(2), r.GetString(3));
                byte[] blob = r.GetValue(4) as byte[] ?? [];
                long createdAt = r.GetInt64(5);
                if (SqliteRows.TryDecodeHint(blob, r.GetInt64(6), out var set, out var reason))
                    hints.Add(new StoredHint(id, new Hint(st.targetSilo, partition, key, set, createdAt)));
                else
                    undecodable.Add(new UndecodableHint(id, st.targetSilo, partition, key, blob, createdAt, reason));
            }
            return new HintPage(hints, undecodable);
        }, cancellationToken);
    }

    public ValueTask DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        if (ids.Count == 0) return ValueTask.CompletedTask;
        return new ValueTask(store.Writer.Enqueue(new DeleteHintsOp([.. ids])));
    }

    public ValueTask<bool> QuarantineAsync(long id, string reason, long quarantinedAtMs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        return new ValueTask<bool>(store.Writer.Enqueue(new QuarantineHintOp(id, reason, quarantinedAtMs)));
    }

    public ValueTask<IReadOnlyList<QuarantinedHint>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        return reads.RunAsync((afterId, max), static (s, st) =>
        {
            s.ListQuarantine.Parameters[0].Value = st.afterId;
            s.ListQuarantine.Parameters[1].Value = st.max;
            var list = new List<QuarantinedHint>();
            using var r = s.ListQuarantine.ExecuteReader();
            while (r.Read())
            {
                list.Add(new QuarantinedHint(r.GetInt64(0), r.GetString(1), r.GetInt32(2), new DynamoKey(r.GetString(3), r.GetString(4)),
                    r.GetValue(5) as byte[] ?? [], r.GetInt64(6), r.GetString(7), r.GetInt64(8)));
            }
            return (IReadOnlyList<QuarantinedHint>)list;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyDictionary<string, long>> CountByTargetAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        return reads.RunAsync(0, static (s, _) =>
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            using var r = s.CountHints.ExecuteReader();
            while (r.Read()) counts[r.GetString(0)] = r.GetInt64(1);
            return (IReadOnlyDictionary<string, long>)counts;
        }, cancellationToken);
    }
}
