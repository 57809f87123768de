using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage.Sqlite;

namespace OrleansDynamo.Storage.Log;

/// <summary>
/// The log-structured engine (Bitcask, as Riak ships it): each value is written once, appended to a data file under
/// <c>&lt;DataDirectory&gt;/values/</c> (<see cref="LogRecord"/>), and found through a key directory kept in memory
/// (<see cref="KeyDirectory"/>), rebuilt at open by replaying the files (<see cref="LogRecovery"/>). Space held by
/// overwritten and removed values is reclaimed by merges in the background (<see cref="MergeRun"/>).
/// <para>Hints, metadata and the value quarantine stay in SQLite: a <see cref="SqlitePartitionStore"/> on the same
/// directory (its <c>silo.db</c>, whose values table stays empty) serves <see cref="Hints"/>, <see cref="Metadata"/> and
/// <see cref="ListQuarantinedAsync"/>.</para>
/// <para>Writes: the record is built off the lock, then numbered, appended and entered in the key directory under the
/// append lock (<see cref="LogWriter"/>), so a read after <see cref="WriteAsync"/> returns sees it. Full durability waits
/// for a group-commit fsync covering it (<see cref="LogSyncer"/>), and a read or scan that meets a record whose fsync is
/// still running waits for it too, so no read returns what a power loss could take back (as SQLite serves only
/// committed rows). Normal durability syncs every second.</para>
/// <para>Reads: a directory lookup, one positional read, the record's checksums, the decoder. Bytes that fail any of
/// them are refused (<see cref="UndecodableValueException"/>, with the bytes as found), reported by scans, and moved by
/// <see cref="QuarantineAsync"/>: it writes the quarantine row first, then a tombstone record, so a crash in between can
/// at worst quarantine a value twice, never lose it.</para>
/// <para>Memory: the directory costs a 48-byte slot a key over a chunk fill of about 90 %, plus the key's UTF-8 bytes in
/// its chunk's arena: about 70 bytes a key for 14-byte keys (67 MiB at a million); bucket names are interned
/// (<see cref="PartitionKeys"/>).</para>
/// </summary>
public sealed class LogPartitionStore : IPartitionStore
{
    private readonly SqlitePartitionStore _side;
    private readonly DataFiles _files;
    private readonly KeyDirectory _keys;
    private readonly LogWriter _writer;
    private readonly LogMerger _merger;
    private readonly StoreLimits _limits;
    private readonly bool _full;
    private int _disposed;

    private LogPartitionStore(LogStoreOptions options, SqlitePartitionStore side, LogRecovery.Result recovered, Action<string> warn)
    {
        _side = side;
        _files = recovered.Files;
        _keys = recovered.Keys;
        _limits = new StoreLimits(options.MaxKeyBytes, options.MaxValueBytes);
        _full = options.Durability == DurabilityMode.Full;
        ValuesDirectory = recovered.Files.Directory;
        Recovery = recovered.Report;
        MergePacer = options.MergePacer;
        LogMerger? merger = null;
        _writer = new LogWriter(_files, recovered.Active, recovered.LastSeq, options, () => merger?.Signal());
        _merger = merger = new LogMerger(options, _files, _keys, _writer.SealedFiles, warn);
    }

    /// <summary>The folder of the data files.</summary>
    public string ValuesDirectory { get; }

    /// <summary>What opening the store found and repaired.</summary>
    public LogRecoveryReport Recovery { get; }

    /// <summary>What paces its merges by the host's foreground (<see cref="LogStoreOptions.MergePacer"/>); null for none.</summary>
    public IBackgroundPacer? MergePacer { get; }

    public IHintLog Hints => _side.Hints;

    public IMetadataStore Metadata => _side.Metadata;

    /// <summary>Sizes, sequence numbers, syncs and merges, now.</summary>
    public LogStoreStats Stats
    {
        get
        {
            var files = _files.Snapshot();
            var active = _writer.Active;
            var sealedFiles = files.Where(f => f.Id != active.Id).ToList();
            var merges = _merger.Stats;
            return new LogStoreStats(
                files.Count,
                files.Sum(f => f.Length),
                files.Sum(f => f.LiveBytes),
                files.Sum(f => f.DeadBytes),
                sealedFiles.Sum(f => f.Length),
                sealedFiles.Sum(f => f.DeadBytes),
                _writer.LastSeq,
                _writer.Syncer.Durable,
                _writer.Syncer.Syncs,
                merges.Merges,
                merges.BytesRead,
                merges.BytesWritten,
                merges.BytesReclaimed,
                merges.Failures,
                merges.LastError);
        }
    }

    /// <summary>
    /// Opens (or creates) the store: <c>silo.db</c> for hints, metadata and quarantine, then the data files, replayed.
    /// </summary>
    /// <exception cref="StorageCorruptedException">a data file cannot be walked (naming it and the offset), the data
    /// files are gone where the directory held a store, or <c>silo.db</c> holds the SQLite engine's values.</exception>
    /// <exception cref="StorageUnavailableException">the directory cannot be created, read or written.</exception>
    public static LogPartitionStore Open(LogStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var warn = options.Warning ?? (message => Console.Error.WriteLine($"OrleansDynamo log store: {message}"));
        var side = SqlitePartitionStore.Open(new SqliteStoreOptions
        {
            DataDirectory = options.DataDirectory,
            Durability = options.Durability,
            MaxValueBytes = options.MaxValueBytes,
            MaxKeyBytes = options.MaxKeyBytes,
            QuickCheckOnOpen = options.QuickCheckOnOpen,
        });
        string values = options.ValuesDirectory;
        try
        {
            RefuseSqliteValues(side);
            LogRecovery.Result recovered;
            try
            {
                recovered = LogRecovery.Open(values, warn);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException and not (StorageCorruptedException or StorageFullException))
            {
                throw LogErrors.Unavailable(values, e.Message, e);
            }
            return new LogPartitionStore(options, side, recovered, warn);
        }
        catch
        {
            side.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>A directory of the SQLite engine holds its values in silo.db: this engine would not see them.</summary>
    private static void RefuseSqliteValues(SqlitePartitionStore side)
    {
        var held = side.SummarizeAllAsync().AsTask().GetAwaiter().GetResult();
        if (held.Count == 0) return;
        throw new StorageEngineMismatchException(
            $"storage file '{side.DatabasePath}' holds {held.Sum(s => s.KeyCount)} values of the sqlite engine (table kv), which the log engine " +
            $"does not read; open this data directory with Storage.Engine '{StorageOptions.SqliteEngine}' (a silo's Silo:StorageEngine)");
    }

    public ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        var keys = _keys.Find(partition);
        if (keys is null) return new ValueTask<SiblingSet?>((SiblingSet?)null);
        int max = KeyDirectory.MaxKeyBytes(key);
        Span<byte> buffer = max <= KeyDirectory.StackKeyBytes ? stackalloc byte[max] : new byte[max];
        var probe = _keys.Probe(key, buffer, out _);
        if (probe.Bucket < 0 || !keys.TryGetAndAcquire(probe, _files, out var slot, out var file))
            return new ValueTask<SiblingSet?>((SiblingSet?)null);
        StoredRead read;
        try
        {
            read = StoredRecord.Read(file!, slot, _keys.Buckets);
        }
        finally
        {
            file!.Release();
        }
        if (read.Set is not { } set)
        {
            var bad = new UndecodableValue(partition, key, key.Hash, read.Raw, read.Reason);
            throw Undecodable(file.Path, bad);
        }
        return _full && slot.Seq > _writer.Syncer.Durable
            ? AfterSync(_writer.Syncer.WaitDurable(slot.Seq), (SiblingSet?)set)
            : new ValueTask<SiblingSet?>(set);
    }

    public ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
    {
        _limits.Check(key, siblings);
        Enter(cancellationToken);
        byte[] record = LogRecord.EncodePut(partition, key.Bucket, key.Key, siblings, out int valueLength);
        return Append(partition, key, record, valueLength);
    }

    /// <summary>For tests: appends bytes of the caller's choosing as a key's value (value checksum intact), as a damaged value would be found.</summary>
    internal ValueTask WriteRawAsync(int partition, DynamoKey key, byte[] value)
    {
        ThrowIfDisposed();
        return Append(partition, key, LogRecord.Encode(LogRecordKind.Put, partition, key.Bucket, key.Key, value), value.Length);
    }

    /// <summary>Appends a put <paramref name="record"/> whose value is its last <paramref name="valueLength"/> bytes.</summary>
    private ValueTask Append(int partition, DynamoKey key, byte[] record, int valueLength)
    {
        int bucket = _keys.Buckets.Intern(key.Bucket);
        int keyStart = LogRecord.FixedSize + _keys.Buckets.Utf8Length(bucket);
        var probe = KeyProbe.Of(key.Hash, bucket, key.Bucket, record.AsSpan(keyStart, record.Length - keyStart - valueLength));
        long seq;
        lock (_writer.Gate)
        {
            var (appended, file, offset) = _writer.Append(record);
            seq = appended;
            if (_keys.GetOrAdd(partition).Put(probe, KeySlot.Pack(file.Id, offset), seq, valueLength, out var old)) Dead(old);
            file.AddLive(record.Length);
        }
        return _full ? _writer.Syncer.WaitDurable(seq) : ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        var keys = _keys.Find(partition);
        if (keys is null || _keys.Buckets.Find(key.Bucket) < 0) return new ValueTask<bool>(false);
        byte[] tombstone = LogRecord.Encode(LogRecordKind.Delete, partition, key.Bucket, key.Key, default);
        var probe = ProbeOf(tombstone, key.Hash, key.Bucket);
        long seq;
        lock (_writer.Gate)
        {
            if (!keys.TryGet(probe, out var slot)) return new ValueTask<bool>(false);
            if (expected is not null)
            {
                // A stored value that does not decode equals nothing: it is quarantined, never removed as a match.
                if (StoredRecord.Read(_files, slot, _keys.Buckets).Set is not { } stored || !stored.Equals(expected))
                    return new ValueTask<bool>(false);
            }
            seq = _writer.Append(tombstone).Seq;
            keys.Remove(probe, out _);
            Dead(slot);
        }
        return AfterSync(Durable(seq), true);
    }

    public ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        Enter(cancellationToken);
        var keys = _keys.Find(partition);
        if (keys is null) return new ValueTask<PartitionPage>(new PartitionPage([], null));
        var rows = new List<(KeySlot Slot, string Key, DataFile File)>(Math.Min(pageSize, 1024));
        bool more;
        if (after is { } cursor)
        {
            byte[] cursorKey = System.Text.Encoding.UTF8.GetBytes(cursor.Key);
            var probe = KeyProbe.Of(cursor.Hash, _keys.Buckets.Find(cursor.Bucket), cursor.Bucket, cursorKey);
            more = keys.Page(probe, fromStart: false, pageSize, _files, rows);
        }
        else
        {
            more = keys.Page(default, fromStart: true, pageSize, _files, rows);
        }
        var entries = new List<StoredEntry>(rows.Count);
        List<UndecodableValue>? undecodable = null;
        long newest = 0;
        try
        {
            foreach (var (slot, name, file) in rows)
            {
                var key = new DynamoKey(_keys.Buckets.Name(slot.Bucket), name);
                var hash = new KeyHash(new UInt128(slot.HashHigh, slot.HashLow));
                var read = StoredRecord.Read(file, slot, _keys.Buckets);
                if (read.Set is { } set) entries.Add(new StoredEntry(key, hash, set));
                else (undecodable ??= []).Add(new UndecodableValue(partition, key, hash, read.Raw, read.Reason));
                newest = Math.Max(newest, slot.Seq);
            }
        }
        finally
        {
            foreach (var (_, _, file) in rows) file.Release();
        }
        ScanCursor? next = null;
        if (more)
        {
            var (last, lastKey, _) = rows[^1];
            next = new ScanCursor(new KeyHash(new UInt128(last.HashHigh, last.HashLow)), _keys.Buckets.Name(last.Bucket), lastKey);
        }
        var page = new PartitionPage(entries, next);
        if (undecodable is not null) page = page with { Undecodable = undecodable };
        return AfterSync(_full && newest > _writer.Syncer.Durable ? _writer.Syncer.WaitDurable(newest) : ValueTask.CompletedTask, page);
    }

    public ValueTask<QuarantinedValue?> QuarantineAsync(UndecodableValue value, long quarantinedAtMs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        Enter(cancellationToken);
        var keys = _keys.Find(value.Partition);
        if (keys is null || _keys.Buckets.Find(value.Key.Bucket) < 0) return new ValueTask<QuarantinedValue?>((QuarantinedValue?)null);
        byte[] tombstone = LogRecord.Encode(LogRecordKind.Delete, value.Partition, value.Key.Bucket, value.Key.Key, default);
        var probe = ProbeOf(tombstone, value.Hash, value.Key.Bucket);
        QuarantinedValue moved;
        long seq;
        lock (_writer.Gate)
        {
            if (!keys.TryGet(probe, out var slot)) return new ValueTask<QuarantinedValue?>((QuarantinedValue?)null);
            var read = StoredRecord.Read(_files, slot, _keys.Buckets);
            if (read.Set is not null) return new ValueTask<QuarantinedValue?>((QuarantinedValue?)null);
            // The row first, then the tombstone, both under the append lock so nothing writes the key in between. Waiting
            // on SQLite's commit here holds the writers for one commit; a quarantine is rare. No deadlock: SQLite's writer
            // thread never takes this lock.
            moved = _side.InsertQuarantinedValueAsync(value.Partition, value.Key, value.Hash, read.Raw, read.StoredCrc, read.Reason, quarantinedAtMs)
                .GetAwaiter().GetResult();
            seq = _writer.Append(tombstone).Seq;
            keys.Remove(probe, out _);
            Dead(slot);
        }
        return AfterSync(Durable(seq), (QuarantinedValue?)(moved with { Blob = moved.Blob.ToArray() }));
    }

    public ValueTask<IReadOnlyList<QuarantinedValue>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        return _side.ListQuarantinedAsync(afterId, max, cancellationToken);
    }

    public ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        var keys = _keys.Find(partition);
        if (keys is null) return ValueTask.CompletedTask;
        byte[] drop = LogRecord.EncodeDrop(partition);
        long seq;
        lock (_writer.Gate)
        {
            // An empty partition needs no record: every record of it on disk is already hidden by a newer one.
            if (keys.Summary.Count == 0) return ValueTask.CompletedTask;
            seq = _writer.Append(drop).Seq;
            keys.RemoveOlderThan(long.MaxValue, Dead);
        }
        return Durable(seq);
    }

    public ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        return ValueTask.FromResult(_keys.Summary(partition));
    }

    public ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        return ValueTask.FromResult(_keys.Summaries());
    }

    /// <summary>
    /// Merges every closed data file now, whatever their dead bytes (background merges run by themselves; this is for
    /// tests, diagnostics and an operator). Runs on a thread-pool thread; waits for a merge already running.
    /// </summary>
    public Task<LogMergeResult> MergeAsync(CancellationToken cancellationToken = default)
    {
        Enter(cancellationToken);
        return Task.Run(() => _merger.Merge(cancellationToken), cancellationToken);
    }

    /// <summary>The group commit (for tests that hold a sync).</summary>
    internal LogSyncer Syncer => _writer.Syncer;

    /// <summary>Whether the closed files hold enough dead bytes for a background merge to start.</summary>
    internal bool MergeDue => _merger.ShouldMerge();

    /// <summary>The data file a key's record is in, and where (for tests that damage it).</summary>
    internal (string Path, long Offset, long Length)? LocationOf(int partition, DynamoKey key)
    {
        var keys = _keys.Find(partition);
        if (keys is null || _keys.Buckets.Find(key.Bucket) < 0) return null;
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(key.Key);
        if (!keys.TryGet(KeyProbe.Of(key.Hash, _keys.Buckets.Find(key.Bucket), key.Bucket, bytes), out var slot)) return null;
        return (_files.Get(slot.FileId)!.Path, slot.Offset, slot.RecordLength(_keys.Buckets));
    }

    /// <summary>The sequence number of a key's record, 0 when absent (for tests).</summary>
    internal long SequenceOf(int partition, DynamoKey key)
    {
        var keys = _keys.Find(partition);
        int bucket = _keys.Buckets.Find(key.Bucket);
        if (keys is null || bucket < 0) return 0;
        return keys.TryGet(KeyProbe.Of(key.Hash, bucket, key.Bucket, System.Text.Encoding.UTF8.GetBytes(key.Key)), out var slot) ? slot.Seq : 0;
    }

    /// <summary>The probe of the key in a record built by <see cref="LogRecord.Encode"/> with no value.</summary>
    private KeyProbe ProbeOf(byte[] record, KeyHash hash, string bucket)
    {
        int id = _keys.Buckets.Find(bucket);
        int keyStart = LogRecord.FixedSize + _keys.Buckets.Utf8Length(id);
        return KeyProbe.Of(hash, id, bucket, record.AsSpan(keyStart));
    }

    /// <summary>Counts a replaced or removed record's bytes dead in its file.</summary>
    private void Dead(KeySlot slot) => _files.Get(slot.FileId)?.AddLive(-slot.RecordLength(_keys.Buckets));

    private ValueTask Durable(long seq) => _full ? _writer.Syncer.WaitDurable(seq) : ValueTask.CompletedTask;

    private static ValueTask<T> AfterSync<T>(ValueTask sync, T result)
    {
        if (sync.IsCompletedSuccessfully) return new ValueTask<T>(result);
        return Await(sync, result);

        static async ValueTask<T> Await(ValueTask sync, T result)
        {
            await sync.ConfigureAwait(false);
            return result;
        }
    }

    private static UndecodableValueException Undecodable(string path, UndecodableValue value) =>
        new(value, $"storage file '{path}' is damaged or not an OrleansDynamo store: {StoredValue.Name(value.Partition, value.Key)}: {value.Reason}");

    private void Enter(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Stops the merger, syncs what was appended, closes the data files (once no read holds them) and silo.db.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _merger.Dispose();
        _writer.Close();
        _writer.Syncer.Stop();
        _files.Close();
        await _side.DisposeAsync().ConfigureAwait(false);
    }
}
