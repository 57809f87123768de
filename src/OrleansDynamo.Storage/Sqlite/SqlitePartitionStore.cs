using Microsoft.Data.Sqlite;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// The durable engine: one SQLite database per silo (<c>&lt;DataDirectory&gt;/silo.db</c>) in WAL mode.
/// Writes go through <see cref="GroupCommitWriter"/> (one transaction and one fsync per batch);
/// reads use a small pool of connections with prepared statements. Every blob carries a CRC-32C;
/// a damaged file raises <see cref="StorageCorruptedException"/> naming the file. A value whose bytes do not decode is
/// refused by a read (<see cref="UndecodableValueException"/>), reported by a scan, and moved by
/// <see cref="QuarantineAsync"/> into table <c>value_quarantine</c>.
/// </summary>
public sealed class SqlitePartitionStore : IPartitionStore
{
    private readonly SqliteWriteSession _writeSession;
    private readonly SqliteReadPool _reads;
    private readonly StoreLimits _limits;
    private readonly WalCheckpointer? _checkpointer;
    private readonly PartitionSizes _sizes = new();
    private int _disposed;

    internal GroupCommitWriter Writer { get; }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    public IHintLog Hints { get; }

    public IMetadataStore Metadata { get; }

    /// <summary>Batches committed since open and writes in them (mean batch size = Writes / Batches).</summary>
    public (long Batches, long Writes) CommitStats => Writer.Stats;

    /// <summary>What the background WAL checkpointer has done since open (all zero when <see cref="SqliteStoreOptions.CheckpointInterval"/> is zero).</summary>
    public WalCheckpointStats CheckpointStats => _checkpointer?.Stats ?? default;

    private SqlitePartitionStore(SqliteStoreOptions options, SqliteConnection writeConnection)
    {
        DatabasePath = options.DatabasePath;
        _limits = new StoreLimits(options.MaxKeyBytes, options.MaxValueBytes);
        _writeSession = new SqliteWriteSession(writeConnection, DatabasePath);
        CountPartitions(writeConnection, DatabasePath, _sizes);
        _reads = new SqliteReadPool(DatabasePath, options.ReadConnections);
        _checkpointer = options.CheckpointInterval > TimeSpan.Zero
            ? new WalCheckpointer(DatabasePath, options)
            : null;
        Writer = new GroupCommitWriter(_writeSession, options, _checkpointer);
        Hints = new SqliteHintLog(this, _reads, _limits);
        Metadata = new SqliteMetadataStore(this, _reads);
    }

    /// <summary>
    /// Opens (or creates) the silo database, checking header, format version, schema and pages.
    /// </summary>
    /// <exception cref="StorageCorruptedException">the file is damaged or not ours, or it is missing or empty where the
    /// directory held a store (<see cref="StoreMarker"/>); the message names it.</exception>
    /// <exception cref="StorageUnavailableException">the directory or file cannot be created, read or written.</exception>
    public static SqlitePartitionStore Open(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string path = options.DatabasePath;
        string directory = Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(directory);
            SqliteSchema.CheckHeader(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException and not StorageCorruptedException)
        {
            throw Unavailable(directory, e.Message, e);
        }
        StoreMarker.CheckNotLost(path);
        var connection = new SqliteConnection(SqliteSchema.ConnectionString(path, SqliteOpenMode.ReadWriteCreate));
        try
        {
            connection.Open();
            using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "PRAGMA journal_mode = WAL;";
                if (cmd.ExecuteScalar() is not string mode || !mode.Equals("wal", StringComparison.OrdinalIgnoreCase))
                    throw Unavailable(directory, $"storage file '{path}' could not be put in WAL mode (is the directory writable?)");
            }
            string sync = options.Durability == DurabilityMode.Full ? "FULL" : "NORMAL";
            SqliteSchema.Execute(connection, $"PRAGMA synchronous = {sync};");
            int autoCheckpoint = options.CheckpointInterval > TimeSpan.Zero ? options.WalAutoCheckpointPages : 1000;
            SqliteSchema.Execute(connection, $"PRAGMA wal_autocheckpoint = {autoCheckpoint};");
            // After the WAL restarts (see WalCheckpointer), the first commit truncates the file back to this size.
            SqliteSchema.Execute(connection, $"PRAGMA journal_size_limit = {options.WalSizeLimitBytes};");
            SqliteSchema.Execute(connection, $"PRAGMA cache_size = -{options.WriteCacheKiB};");
            SqliteSchema.CreateOrVerify(connection, path, options.QuickCheckOnOpen);
            StoreMarker.Record(path);
            return new SqlitePartitionStore(options, connection);
        }
        catch (SqliteException e) when (SqliteSchema.IsCorruption(e))
        {
            connection.Dispose();
            throw SqliteSchema.Corrupted(path, e.Message, e);
        }
        catch (Exception e) when (e is SqliteException { SqliteErrorCode: 3 or 8 or 10 or 14 } or UnauthorizedAccessException
            or IOException and not (StorageCorruptedException or StorageUnavailableException))
        {
            // SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN; or the marker file could not be written.
            connection.Dispose();
            throw Unavailable(directory, e.Message, e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static StorageUnavailableException Unavailable(string directory, string reason, Exception? inner = null) =>
        new($"data directory '{directory}' cannot be read or written: {reason}", inner);

    public ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return _reads.RunAsync((Store: this, partition, key), static (s, st) => st.Store.ReadCore(s, st.partition, st.key), cancellationToken);
    }

    private SiblingSet? ReadCore(SqliteReadSession s, int partition, DynamoKey key)
    {
        key.Hash.WriteBytes(s.HashBuffer);
        SqliteRows.BindKey(s.ReadKey, partition, s.HashBuffer, key.Bucket, key.Key);
        using var r = s.ReadKey.ExecuteReader();
        if (!r.Read()) return null;
        if (SqliteRows.TryReadKv(r, 0, s.HashBuffer, out var set, out var blob, out var reason)) return set;
        throw SqliteRows.Undecodable(DatabasePath, new UndecodableValue(partition, key, key.Hash, StoredValue.RawBytes(blob), reason));
    }

    public ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        _limits.Check(key, siblings);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        byte[] hash = key.Hash.ToBytes();
        byte[] blob = VersionCodec.EncodeSiblingSet(siblings);
        long crc = BlobChecksum.Compute(hash, blob);
        return new ValueTask(Writer.Enqueue(new PutOp(partition, hash, key.Bucket, key.Key, blob, crc, _sizes)));
    }

    public ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return new ValueTask<bool>(Writer.Enqueue(new RemoveOp(partition, key.Hash.ToBytes(), key.Bucket, key.Key, expected, _sizes)));
    }

    public ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return _reads.RunAsync((Store: this, partition, after, pageSize), static (s, st) => st.Store.ScanCore(s, st.partition, st.after, st.pageSize), cancellationToken);
    }

    private PartitionPage ScanCore(SqliteReadSession s, int partition, ScanCursor? after, int pageSize)
    {
        SqliteCommand cmd;
        if (after is { } cursor)
        {
            cmd = s.ScanAfter;
            SqliteRows.BindKey(cmd, partition, cursor.Hash.ToBytes(), cursor.Bucket, cursor.Key);
            cmd.Parameters[4].Value = (long)pageSize + 1;
        }
        else
        {
            cmd = s.ScanFirst;
            cmd.Parameters[0].Value = partition;
            cmd.Parameters[1].Value = (long)pageSize + 1;
        }
        var entries = new List<StoredEntry>(Math.Min(pageSize, 1024));
        List<UndecodableValue>? undecodable = null;
        ScanCursor? last = null;
        int rows = 0;
        bool more = false;
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                if (rows == pageSize)
                {
                    more = true;
                    break;
                }
                rows++;
                var key = new DynamoKey(r.GetString(1), r.GetString(2));
                // The cursor needs the key hash: one of the wrong type or length still fails the scan, naming the file.
                byte[] hashBytes = SqliteRows.KeyHash(r, 0, DatabasePath, partition, key);
                var hash = KeyHash.FromBytes(hashBytes);
                last = new ScanCursor(hash, key.Bucket, key.Key);
                if (SqliteRows.TryReadKv(r, 3, hashBytes, out var set, out var blob, out var reason))
                    entries.Add(new StoredEntry(key, hash, set));
                else
                    (undecodable ??= []).Add(new UndecodableValue(partition, key, hash, StoredValue.RawBytes(blob), reason));
            }
        }
        var page = new PartitionPage(entries, more ? last : null);
        return undecodable is null ? page : page with { Undecodable = undecodable };
    }

    public ValueTask<QuarantinedValue?> QuarantineAsync(UndecodableValue value, long quarantinedAtMs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return new ValueTask<QuarantinedValue?>(Writer.Enqueue(new QuarantineValueOp(value.Partition, value.Hash.ToBytes(), value.Key, quarantinedAtMs, _sizes)));
    }

    /// <summary>
    /// For the log engine, which keeps its values elsewhere and its quarantine here: inserts a quarantine row for a value
    /// that is not in table kv, exactly as given, and returns it with its id. Committed (and synced in Full mode) on return.
    /// </summary>
    internal Task<QuarantinedValue> InsertQuarantinedValueAsync(int partition, DynamoKey key, KeyHash hash, byte[] blob, long crc, string reason, long quarantinedAtMs)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(reason);
        ThrowIfDisposed();
        return Writer.Enqueue(new InsertQuarantinedValueOp(partition, hash.ToBytes(), key, blob, crc, reason, quarantinedAtMs));
    }

    public ValueTask<IReadOnlyList<QuarantinedValue>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return _reads.RunAsync((afterId, max), static (s, st) =>
        {
            s.ListValueQuarantine.Parameters[0].Value = st.afterId;
            s.ListValueQuarantine.Parameters[1].Value = st.max;
            var list = new List<QuarantinedValue>();
            using var r = s.ListValueQuarantine.ExecuteReader();
            while (r.Read())
            {
                list.Add(new QuarantinedValue(r.GetInt64(0), r.GetInt32(1), new DynamoKey(r.GetString(2), r.GetString(3)),
                    StoredValue.RawBytes(r.GetValue(4)), r.GetString(5), r.GetInt64(6)));
            }
            return (IReadOnlyList<QuarantinedValue>)list;
        }, cancellationToken);
    }

    public ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return new ValueTask(Writer.Enqueue(new DropPartitionOp(partition, _sizes)));
    }

    public ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return ValueTask.FromResult(_sizes.Get(partition));
    }

    public ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return ValueTask.FromResult(_sizes.Snapshot());
    }

    /// <summary>
    /// Counts every partition once, at open, before any write can move the counts. A partition id that is not an integer
    /// in range is refused here, naming the file, rather than counted as partition 0.
    /// </summary>
    private static void CountPartitions(SqliteConnection connection, string path, PartitionSizes sizes)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT partition_id, COUNT(*), COALESCE(SUM(bytes), 0) FROM kv GROUP BY partition_id;";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            long partition = SqliteRows.Integer(r, 0, path, "table kv");
            if (partition is < 0 or > int.MaxValue) throw SqliteSchema.Corrupted(path, $"table kv: partition_id {partition} is out of range");
            sizes.Set((int)partition, r.GetInt64(1), r.GetInt64(2));
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Commits writes already queued, then closes every connection (SQLite checkpoints the WAL).</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        Writer.Dispose();
        _checkpointer?.Dispose();
        _reads.Dispose();
        _writeSession.Dispose();
        return ValueTask.CompletedTask;
    }
}
