namespace OrleansDynamo.Storage.Log;

/// <summary>
/// Decides when to merge and runs one merge at a time (<see cref="MergeRun"/>) on its own thread: after each file
/// rollover and every <see cref="LogStoreOptions.MergeCheckInterval"/>, it merges when the dead bytes of the closed files
/// are at least <see cref="LogStoreOptions.MergeDeadShare"/> of them and at least <see cref="LogStoreOptions.MergeMinDeadBytes"/>.
/// A merge follows the host's <see cref="LogStoreOptions.MergePacer"/> unless its inputs are
/// <see cref="LogStoreOptions.MergeUrgentDeadShare"/> dead.
/// A merge that finds damage in a file stops background merges until the store is opened again (it would find the same
/// damage each time); a full disk does not (the next trigger tries again).
/// </summary>
internal sealed class LogMerger : IDisposable
{
    private readonly LogStoreOptions _options;
    private readonly DataFiles _files;
    private readonly KeyDirectory _keys;
    private readonly Func<List<DataFile>> _sealedFiles;
    private readonly Action<string> _warn;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _signal = new();
    private readonly Thread? _thread;
    private bool _signaled;
    private bool _halted;
    private long _merges;
    private long _bytesRead;
    private long _bytesWritten;
    private long _bytesReclaimed;
    private long _failures;
    private string? _lastError;

    public LogMerger(LogStoreOptions options, DataFiles files, KeyDirectory keys, Func<List<DataFile>> sealedFiles, Action<string> warn)
    {
        _options = options;
        _files = files;
        _keys = keys;
        _sealedFiles = sealedFiles;
        _warn = warn;
        if (options.MergeCheckInterval > TimeSpan.Zero)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "log-store-merge" };
            _thread.Start();
        }
    }

    public (long Merges, long BytesRead, long BytesWritten, long BytesReclaimed, long Failures, string? LastError) Stats
    {
        get
        {
            lock (_signal) return (_merges, _bytesRead, _bytesWritten, _bytesReclaimed, _failures, _lastError);
        }
    }

    /// <summary>A file was closed: look at the dead bytes now. Cheap; called under the append lock.</summary>
    public void Signal()
    {
        lock (_signal)
        {
            _signaled = true;
            Monitor.Pulse(_signal);
        }
    }

    /// <summary>Whether the closed files hold enough dead bytes for a merge.</summary>
    public bool ShouldMerge()
    {
        var (dead, size) = DeadBytes(_sealedFiles());
        return dead > 0 && dead >= _options.MergeMinDeadBytes && dead >= _options.MergeDeadShare * size;
    }

    private static (long Dead, long Size) DeadBytes(List<DataFile> files)
    {
        long dead = 0, size = 0;
        foreach (var file in files)
        {
            dead += file.DeadBytes;
            size += file.Length - DataFileHeader.Size;
        }
        return (dead, size);
    }

    /// <summary>The share of <paramref name="files"/>' record bytes that are dead (0 for none).</summary>
    private static double DeadShare(List<DataFile> files)
    {
        var (dead, size) = DeadBytes(files);
        return size > 0 ? (double)dead / size : 0;
    }

    /// <summary>Merges every closed file now, whatever their dead bytes (after a merge already running).</summary>
    public LogMergeResult Merge(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        _one.Wait(linked.Token);
        try
        {
            var inputs = _sealedFiles();
            if (inputs.Count == 0) return LogMergeResult.Nothing;
            var pacer = DeadShare(inputs) >= _options.MergeUrgentDeadShare ? null : _options.MergePacer;
            var run = new MergeRun(_files, _keys, _options.FileSizeBytes, _options.MergeBytesPerSecond, pacer, linked.Token);
            LogMergeResult result;
            try
            {
                result = run.Run(inputs);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                lock (_signal)
                {
                    _failures++;
                    _lastError = e.Message;
                }
                throw;
            }
            lock (_signal)
            {
                _merges++;
                _bytesRead += result.BytesRead;
                _bytesWritten += result.BytesWritten;
                _bytesReclaimed += result.BytesReclaimed;
            }
            return result;
        }
        finally
        {
            _one.Release();
        }
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            lock (_signal)
            {
                if (!_signaled && !_stop.IsCancellationRequested) Monitor.Wait(_signal, _options.MergeCheckInterval);
                _signaled = false;
            }
            if (_stop.IsCancellationRequested || _halted || !ShouldMerge()) continue;
            try
            {
                Merge(CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (StorageCorruptedException e)
            {
                _halted = true;
                _warn($"a merge of data files failed, and background merges stop until the store is opened again: {e.Message}");
            }
            catch (Exception e)
            {
                _warn($"a merge of data files failed (its inputs are kept; the next trigger tries again): {e.Message}");
            }
        }
    }

    /// <summary>Stops the thread and waits for a merge in progress to give up.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        Signal();
        _thread?.Join();
        _one.Wait();
        _one.Release();
    }
}
