namespace OrleansDynamo.Storage.Sqlite;

/// <summary>Named blobs in table <c>meta</c>; writes are group-committed like key writes.</summary>
internal sealed class SqliteMetadataStore(SqlitePartitionStore store, SqliteReadPool reads) : IMetadataStore
{
    public ValueTask<byte[]?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        return reads.RunAsync((name, Path: store.DatabasePath), static (s, st) =>
        {
            s.GetMeta.Parameters[0].Value = st.name;
            using var r = s.GetMeta.ExecuteReader();
            if (!r.Read()) return null;
            string what = $"metadata '{st.name}'";
            return SqliteRows.CheckMeta(st.Path, st.name, SqliteRows.Blob(r, 0, st.Path, what), SqliteRows.Integer(r, 1, st.Path, what));
        }, cancellationToken);
    }

    public ValueTask SetAsync(string name, byte[] value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        byte[] copy = value.ToArray();
        return new ValueTask(store.Writer.Enqueue(new SetMetaOp(name, copy, BlobChecksum.Compute(default, copy))));
    }

    public ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        store.ThrowIfDisposed();
        return new ValueTask<bool>(store.Writer.Enqueue(new DeleteMetaOp(name)));
    }
}
