using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// A pending write for the group-commit thread. <see cref="Apply"/> runs inside the batch's
/// transaction; <see cref="Complete"/> or <see cref="Fail"/> runs once the batch's fate is known.
/// Blobs and checksums are computed by the caller, off the writer thread.
/// </summary>
internal abstract class WriteOp
{
    public abstract void Apply(SqliteWriteSession s);
    public abstract void Complete();
    public abstract void Fail(Exception error);
}

/// <summary>A write op whose caller awaits a result.</summary>
internal abstract class WriteOp<T> : WriteOp
{
    // Continuations must not run on the writer thread: it has the next batch to commit.
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected T Result { get; set; } = default!;

    public Task<T> Task => _done.Task;

    public override void Complete() => _done.TrySetResult(Result);

    public override void Fail(Exception error) => _done.TrySetException(error);
}

internal sealed class PutOp(int partition, byte[] hash, string bucket, string key, byte[] blob, long crc, PartitionSizes sizes) : WriteOp<bool>
{
    private long _countDelta, _bytesDelta;

    public override void Apply(SqliteWriteSession s)
    {
        long? before = OldBytes(s, partition, hash, bucket, key);
        var cmd = s.Upsert;
        SqliteRows.BindKey(cmd, partition, hash, bucket, key);
        cmd.Parameters[4].Value = blob;
        cmd.Parameters[5].Value = blob.Length;
        cmd.Parameters[6].Value = crc;
        cmd.ExecuteNonQuery();
        _countDelta = before is null ? 1 : 0;
        _bytesDelta = blob.Length - (before ?? 0);
        Result = true;
    }

    public override void Complete()
    {
        sizes.Add(partition, _countDelta, _bytesDelta);
        base.Complete();
    }

    /// <summary>The stored row's size, or null when the key is absent (same page the write touches next).</summary>
    internal static long? OldBytes(SqliteWriteSession s, int partition, byte[] hash, string bucket, string key)
    {
        SqliteRows.BindKey(s.SelectBytes, partition, hash, bucket, key);
        var value = s.SelectBytes.ExecuteScalar();
        return value is long n ? n : null;
    }
}

internal sealed class RemoveOp(int partition, byte[] hash, string bucket, string key, SiblingSet? expected, PartitionSizes sizes) : WriteOp<bool>
{
    private long _bytes;

    public override void Apply(SqliteWriteSession s)
    {
        _bytes = 0;
        if (expected is not null)
        {
            SqliteRows.BindKey(s.SelectForRemove, partition, hash, bucket, key);
            using var r = s.SelectForRemove.ExecuteReader();
            if (!r.Read())
            {
                Result = false;
                return;
            }
            // A stored value that does not decode equals nothing: it is quarantined, never removed as a match.
            if (!SqliteRows.TryReadKv(r, 0, hash, out var stored, out _, out _) || !stored.Equals(expected))
            {
                Result = false;
                return;
            }
        }
        _bytes = PutOp.OldBytes(s, partition, hash, bucket, key) ?? 0;
        SqliteRows.BindKey(s.DeleteKey, partition, hash, bucket, key);
        Result = s.DeleteKey.ExecuteNonQuery() > 0;
    }

    public override void Complete()
    {
        if (Result) sizes.Add(partition, -1, -_bytes);
        base.Complete();
    }
}

internal sealed class DropPartitionOp(int partition, PartitionSizes sizes) : WriteOp<bool>
{
    public override void Apply(SqliteWriteSession s)
    {
        s.DropPartition.Parameters[0].Value = partition;
        s.DropPartition.ExecuteNonQuery();
        Result = true;
    }

    public override void Complete()
    {
        sizes.Drop(partition);
        base.Complete();
    }
}

/// <summary>
/// Moves a kv row whose bytes still do not decode, as stored, into value_quarantine and deletes it from kv, in the
/// batch's transaction; the result is what was moved, or null when the row is gone or decodes now.
/// </summary>
internal sealed class QuarantineValueOp(int partition, byte[] hash, DynamoKey key, long quarantinedAt, PartitionSizes sizes) : WriteOp<QuarantinedValue?>
{
    private long _bytes;

    public override void Apply(SqliteWriteSession s)
    {
        Result = null;
        string reason;
        object blob;
        SqliteRows.BindKey(s.SelectForQuarantine, partition, hash, key.Bucket, key.Key);
        using (var r = s.SelectForQuarantine.ExecuteReader())
        {
            if (!r.Read() || SqliteRows.TryReadKv(r, 0, hash, out _, out blob, out reason)) return;
            _bytes = r.GetValue(2) is long n ? n : 0;
        }
        var insert = s.QuarantineValue;
        SqliteRows.BindKey(insert, partition, hash, key.Bucket, key.Key);
        insert.Parameters[4].Value = reason;
        insert.Parameters[5].Value = quarantinedAt;
        long id = (long)insert.ExecuteScalar()!;
        SqliteRows.BindKey(s.DeleteKey, partition, hash, key.Bucket, key.Key);
        s.DeleteKey.ExecuteNonQuery();
        Result = new QuarantinedValue(id, partition, key, StoredValue.RawBytes(blob), reason, quarantinedAt);
    }

    public override void Complete()
    {
        if (Result is not null) sizes.Add(partition, -1, -_bytes);
        base.Complete();
    }
}

/// <summary>
/// Inserts a value_quarantine row for a value stored outside table kv (the log engine's data files), as it was found;
/// the result is the row, with its id.
/// </summary>
internal sealed class InsertQuarantinedValueOp(int partition, byte[] hash, DynamoKey key, byte[] blob, long crc, string reason, long quarantinedAt)
    : WriteOp<QuarantinedValue>
{
    public override void Apply(SqliteWriteSession s)
    {
        var insert = s.InsertQuarantinedValue;
        SqliteRows.BindKey(insert, partition, hash, key.Bucket, key.Key);
        var ps = insert.Parameters;
        ps[4].Value = blob;
        ps[5].Value = blob.Length;
        ps[6].Value = crc;
        ps[7].Value = reason;
        ps[8].Value = quarantinedAt;
        long id = (long)insert.ExecuteScalar()!;
        Result = new QuarantinedValue(id, partition, key, blob, reason, quarantinedAt);
    }
}

internal sealed class AppendHintOp(string target, int partition, string bucket, string key, byte[] blob, long createdAt, long crc) : WriteOp<long>
{
    public override void Apply(SqliteWriteSession s)
    {
        var ps = s.InsertHint.Parameters;
        ps[0].Value = target;
        ps[1].Value = partition;
        ps[2].Value = bucket;
        ps[3].Value = key;
        ps[4].Value = blob;
        ps[5].Value = createdAt;
        ps[6].Value = crc;
        Result = (long)s.InsertHint.ExecuteScalar()!;
    }
}

internal sealed class DeleteHintsOp(long[] ids) : WriteOp<bool>
{
    public override void Apply(SqliteWriteSession s)
    {
        foreach (long id in ids)
        {
            s.DeleteHint.Parameters[0].Value = id;
            s.DeleteHint.ExecuteNonQuery();
        }
        Result = true;
    }
}

/// <summary>Copies a hint row, as stored, into hint_quarantine and deletes it from the log, in the batch's transaction.</summary>
internal sealed class QuarantineHintOp(long id, string reason, long quarantinedAt) : WriteOp<bool>
{
    public override void Apply(SqliteWriteSession s)
    {
        var ps = s.QuarantineHint.Parameters;
        ps[0].Value = id;
        ps[1].Value = reason;
        ps[2].Value = quarantinedAt;
        if (s.QuarantineHint.ExecuteNonQuery() == 0)
        {
            Result = false;
            return;
        }
        s.DeleteHint.Parameters[0].Value = id;
        Result = s.DeleteHint.ExecuteNonQuery() > 0;
    }
}

internal sealed class SetMetaOp(string name, byte[] blob, long crc) : WriteOp<bool>
{
    public override void Apply(SqliteWriteSession s)
    {
        var ps = s.UpsertMeta.Parameters;
        ps[0].Value = name;
        ps[1].Value = blob;
        ps[2].Value = crc;
        s.UpsertMeta.ExecuteNonQuery();
        Result = true;
    }
}

internal sealed class DeleteMetaOp(string name) : WriteOp<bool>
{
    public override void Apply(SqliteWriteSession s)
    {
        s.DeleteMeta.Parameters[0].Value = name;
        Result = s.DeleteMeta.ExecuteNonQuery() > 0;
    }
}
