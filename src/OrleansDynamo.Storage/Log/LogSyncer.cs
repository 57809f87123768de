namespace OrleansDynamo.Storage.Log;

/// <summary>
/// Makes appended records durable, on one thread. Records are numbered in the order they are appended, so
/// durability is one watermark: every record with a sequence number up to <see cref="Durable"/> is on disk.
/// <para><b>Full</b> (group commit): a writer appends, then waits (<see cref="WaitDurable"/>) for a sync whose target
/// covers its number. The thread takes the highest number appended, fsyncs the active file and completes everyone
/// waiting on that round. Writers arriving while a round's fsync runs wait for the next round, which covers all of them
/// at once: concurrent writers share one fsync.</para>
/// <para><b>Normal</b>: nobody waits; the thread syncs every <see cref="LogStoreOptions.FlushInterval"/> if anything was
/// appended since.</para>
/// <para>A round reads its target before the active file: a rollover syncs the old file and moves the watermark before it
/// publishes the new one, so the file a round syncs holds every record of its target that is not durable yet.
/// A failed fsync leaves the pages' state unknown (Linux may have dropped them), so it fails the round's writers and
/// every later write (<see cref="Failure"/>) until the store is opened again.</para>
/// </summary>
internal sealed class LogSyncer
{
    private readonly object _gate = new();
    private readonly DurabilityMode _mode;
    private readonly TimeSpan _interval;
    private readonly Func<DataFile> _activeFile;
    private readonly Thread _thread;
    private long _appended;
    private long _durable;
    private bool _syncing;
    private long _syncTarget;
    private bool _requested;
    private bool _stopping;
    private bool _stopped;
    private Exception? _failure;
    private long _syncs;
    private TaskCompletionSource _current = NewRound();
    private TaskCompletionSource _next = NewRound();

    public LogSyncer(DurabilityMode mode, TimeSpan interval, long durable, Func<DataFile> activeFile)
    {
        _mode = mode;
        _interval = interval;
        _appended = durable;
        _durable = durable;
        _activeFile = activeFile;
        _thread = new Thread(Run) { IsBackground = true, Name = "log-store-sync" };
        _thread.Start();
    }

    /// <summary>Every record numbered up to this is on disk.</summary>
    public long Durable => Volatile.Read(ref _durable);

    /// <summary>Fsyncs done by the thread (rollovers and dispose sync on their own).</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>For tests: runs on the sync thread before each fsync it makes (holding it holds the round).</summary>
    internal Action? BeforeSync { get; set; }

    /// <summary>Why the store takes no more writes: an fsync failed.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>The writer, under its lock: records up to <paramref name="seq"/> are appended.</summary>
    public void NoteAppended(long seq) => Volatile.Write(ref _appended, seq);

    /// <summary>The writer: records up to <paramref name="seq"/> were synced by someone else (a rollover, the dispose).</summary>
    public void NoteDurable(long seq)
    {
        lock (_gate)
        {
            if (seq > _durable) Volatile.Write(ref _durable, seq);
        }
    }

    /// <summary>Completes once record <paramref name="seq"/> is on disk (at once when it is already).</summary>
    public ValueTask WaitDurable(long seq)
    {
        if (seq <= Volatile.Read(ref _durable)) return ValueTask.CompletedTask;
        lock (_gate)
        {
            if (seq <= _durable) return ValueTask.CompletedTask;
            if (_failure is not null) return ValueTask.FromException(_failure);
            if (_stopped || _stopping) return ValueTask.FromException(new ObjectDisposedException(nameof(LogPartitionStore)));
            if (_syncing && seq <= _syncTarget) return new ValueTask(_current.Task);
            _requested = true;
            Monitor.Pulse(_gate);
            return new ValueTask(_next.Task);
        }
    }

    private void Run()
    {
        while (true)
        {
            TaskCompletionSource round;
            long target;
            lock (_gate)
            {
                if (_mode == DurabilityMode.Full)
                {
                    while (!_requested && !_stopping) Monitor.Wait(_gate);
                    if (!_requested) return;
                }
                else
                {
                    if (!_stopping) Monitor.Wait(_gate, _interval);
                    if (_stopping) return;
                    if (Volatile.Read(ref _appended) <= _durable) continue;
                }
                _requested = false;
                target = Volatile.Read(ref _appended);
                _syncing = true;
                _syncTarget = target;
                round = _current = _next;
                _next = NewRound();
            }
            Exception? error = null;
            if (target > Durable)
            {
                var file = _activeFile();
                try
                {
                    if (file.TryAcquire())
                    {
                        try
                        {
                            BeforeSync?.Invoke();
                            RandomAccess.FlushToDisk(file.Handle);
                            Interlocked.Increment(ref _syncs);
                        }
                        finally
                        {
                            file.Release();
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    error = new StorageUnavailableException(
                        $"data file {file.Path} could not be synced to disk ({e.Message}); the store takes no more writes until it is opened again", e);
                }
            }
            lock (_gate)
            {
                _syncing = false;
                if (error is null && target > _durable) Volatile.Write(ref _durable, target);
                if (error is not null) _failure ??= error;
            }
            if (error is null) round.TrySetResult();
            else round.TrySetException(error);
        }
    }

    /// <summary>Serves the rounds asked for, then stops the thread. The caller syncs what is left and notes it durable.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        _thread.Join();
        lock (_gate) _stopped = true;
    }

    private static TaskCompletionSource NewRound() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
