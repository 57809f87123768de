namespace OrleansDynamo.Storage.Log;

/// <summary>
/// Appends records to the active write file. <see cref="Gate"/> is the store's one append lock: a record is numbered,
/// written at the tracked end of the file with one positional write, and the key directory updated, all under it, so
/// the log order, the numbering and the directory agree, and a check that must see the newest state (a removal
/// expecting a set, a quarantine) sees it. Durability is <see cref="Syncer"/>'s.
/// <para>A write that fails (a full disk) is cut off: the file is truncated back to where the record began, so nothing
/// half-written stays visible and the file stays parseable; the next write goes to the same place. If even the truncation
/// fails, the next append retries it first, and a file is never closed with bytes past its tracked end.</para>
/// <para>Rollover: once the active file holds <see cref="LogStoreOptions.FileSizeBytes"/>, the next append syncs it
/// (so a closed file never ends in a torn record, whatever the durability mode), starts a new file (its header carries the
/// next sequence number, see <see cref="DataFileHeader"/>), and tells the merger.</para>
/// </summary>
internal sealed class LogWriter
{
    private readonly DataFiles _files;
    private readonly long _fileSizeBytes;
    private readonly Action _rolledOver;
    private DataFile _active;
    private long _lastSeq;
    private bool _closed;
    private bool _cutPending;

    public LogWriter(DataFiles files, DataFile active, long lastSeq, LogStoreOptions options, Action rolledOver)
    {
        _files = files;
        _active = active;
        _lastSeq = lastSeq;
        _fileSizeBytes = options.FileSizeBytes;
        _rolledOver = rolledOver;
        Syncer = new LogSyncer(options.Durability, options.FlushInterval, lastSeq, () => Active);
    }

    /// <summary>The append lock (see the class summary).</summary>
    public Lock Gate { get; } = new();

    public LogSyncer Syncer { get; }

    public DataFile Active => Volatile.Read(ref _active);

    /// <summary>The last sequence number handed out.</summary>
    public long LastSeq
    {
        get
        {
            lock (Gate) return _lastSeq;
        }
    }

    /// <summary>Every file but the active one: what a merge rewrites.</summary>
    public List<DataFile> SealedFiles()
    {
        lock (Gate)
        {
            var files = _files.Snapshot();
            files.RemoveAll(f => f.Id == _active.Id);
            return files;
        }
    }

    /// <summary>
    /// Numbers <paramref name="record"/> (built by <see cref="LogRecord.Encode"/>), appends it, and returns its number,
    /// file and offset. The caller holds <see cref="Gate"/> and updates the key directory before releasing it.
    /// </summary>
    /// <exception cref="StorageFullException">the disk is full; nothing of the record stays in the file.</exception>
    public (long Seq, DataFile File, long Offset) Append(byte[] record)
    {
        ObjectDisposedException.ThrowIf(_closed, typeof(LogPartitionStore));
        if (Syncer.Failure is { } failure) throw failure;
        var file = _active;
        CutToLength(file);
        if (file.Length >= _fileSizeBytes) file = Rollover();
        long offset = file.Length;
        long seq = _lastSeq + 1;
        LogRecord.Seal(record, seq);
        try
        {
            RandomAccess.Write(file.Handle, record, offset);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryCut(file);
            throw LogErrors.Translate(file.Path, e);
        }
        _lastSeq = seq;
        file.Length = offset + record.Length;
        Syncer.NoteAppended(seq);
        return (seq, file, offset);
    }

    /// <summary>Closes the writer: no more appends; syncs the active file so everything appended is durable.</summary>
    public void Close()
    {
        lock (Gate)
        {
            if (_closed) return;
            _closed = true;
            try
            {
                if (Syncer.Failure is null)
                {
                    CutToLength(_active);
                    RandomAccess.FlushToDisk(_active.Handle);
                    Syncer.NoteDurable(_lastSeq);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process goes on without this store; what was not synced is what a crash would have lost.
            }
        }
    }

    private DataFile Rollover()
    {
        var old = _active;
        RandomAccess.FlushToDisk(old.Handle);
        Syncer.NoteDurable(_lastSeq);
        var next = _files.Create(DataFileKind.Write, baseSeq: _lastSeq + 1);
        Volatile.Write(ref _active, next);
        _rolledOver();
        return next;
    }

    /// <summary>Truncates what a failed write left past the tracked end, when its own truncation failed.</summary>
    private void CutToLength(DataFile file)
    {
        if (!_cutPending) return;
        try
        {
            RandomAccess.SetLength(file.Handle, file.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LogErrors.Translate(file.Path, e);
        }
        _cutPending = false;
    }

    private void TryCut(DataFile file)
    {
        try
        {
            RandomAccess.SetLength(file.Handle, file.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _cutPending = true;
        }
    }
}
