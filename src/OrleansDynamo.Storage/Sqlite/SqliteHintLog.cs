using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>The hint log in table <c>hints</c>: appends and deletes are group-committed like key writes.</summary>
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

    public ValueTask<IReadOnlyList<StoredHint>> ListAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targetSilo);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        return reads.RunAsync((targetSilo, afterId, max, Path: store.DatabasePath), static (s, st) =>
        {
            var ps = s.ListHints.Parameters;
            ps[0].Value = st.targetSilo;
            ps[1].Value = st.afterId;
            ps[2].Value = st.max;
            var list = new List<StoredHint>();
            using var r = s.ListHints.ExecuteReader();
            while (r.Read())
            {
                long id = r.GetInt64(0);
                var set = SqliteRows.DecodeHint(st.Path, id, (byte[])r.GetValue(4), r.GetInt64(6));
                var key = new DynamoKey(r.GetString(2), r.GetString(3));
                list.Add(new StoredHint(id, new Hint(st.targetSilo, r.GetInt32(1), key, set, r.GetInt64(5))));
            }
            return (IReadOnlyList<StoredHint>)list;
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
