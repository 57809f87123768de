using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// Group commit: one dedicated thread takes every write queued (up to <see cref="SqliteStoreOptions.MaxBatchSize"/>,
/// waiting up to <see cref="SqliteStoreOptions.GroupCommitWindow"/> for as many as the last batch had), applies them in one
/// transaction on the one write connection, commits (one fsync in Full mode), then completes them all.
/// While a commit is syncing, new writes pile up and form the next batch, so the fsync cost is shared.
/// </summary>
internal sealed class GroupCommitWriter : IDisposable
{
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = false,
    });

    private readonly SqliteWriteSession _session;
    private readonly int _maxBatch;
    private readonly long _windowTicks;
    private readonly Thread _thread;
    private readonly object _gate = new();
    private int _sleeping;
    private long _batches;
    private long _writes;
    private readonly WalCheckpointer? _checkpointer;

    public GroupCommitWriter(SqliteWriteSession session, SqliteStoreOptions options, WalCheckpointer? checkpointer)
    {
        _checkpointer = checkpointer;
        _session = session;
        _maxBatch = options.MaxBatchSize;
        _windowTicks = (long)(options.GroupCommitWindow.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Run) { IsBackground = true, Name = "sqlite-group-commit" };
        _thread.Start();
    }

    /// <summary>Batches committed so far and writes in them (their ratio is the mean batch size).</summary>
    public (long Batches, long Writes) Stats => (Interlocked.Read(ref _batches), Interlocked.Read(ref _writes));

    public Task<T> Enqueue<T>(WriteOp<T> op)
    {
        if (!_queue.Writer.TryWrite(op)) throw new ObjectDisposedException(nameof(SqlitePartitionStore));
        Wake();
        return op.Task;
    }

    private void Run()
    {
        var batch = new List<WriteOp>(_maxBatch);
        var reader = _queue.Reader;
        int lastBatch = 0;
        while (WaitToRead(reader))
        {
            Drain(reader, batch);
            // Adaptive window: the writers of the last batch are likely coming back, so wait briefly
            // for them; a lone writer (last batch of 1) never waits.
            int expected = Math.Min(lastBatch, _maxBatch);
            if (_windowTicks > 0 && batch.Count < expected)
            {
                long deadline = Stopwatch.GetTimestamp() + _windowTicks;
                var spin = new SpinWait();
                while (batch.Count < expected && Stopwatch.GetTimestamp() < deadline)
                {
                    if (!reader.TryPeek(out _)) spin.SpinOnce(sleep1Threshold: -1);
                    Drain(reader, batch);
                }
            }
            lastBatch = batch.Count;
            if (_checkpointer is { } checkpointer)
            {
                // The checkpointer may hold the writer between two batches for a WAL restart (a few ms at most).
                checkpointer.Gate.EnterCommit();
                try
                {
                    CommitBatch(batch);
                }
                finally
                {
                    checkpointer.Gate.ExitCommit();
                }
                checkpointer.NotifyCommit();
            }
            else
            {
                CommitBatch(batch);
            }
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _writes, batch.Count);
            batch.Clear();
        }
    }

    /// <summary>
    /// Blocks until a write is queued (false once the queue is completed and empty): a plain monitor
    /// wait, so an idle writer costs no task allocation and no spinning; producers pulse only when it sleeps.
    /// </summary>
    private bool WaitToRead(ChannelReader<WriteOp> reader)
    {
        while (true)
        {
            if (reader.TryPeek(out _)) return true;
            if (reader.Completion.IsCompleted) return false;
            lock (_gate)
            {
                Volatile.Write(ref _sleeping, 1);
                Interlocked.MemoryBarrier();
                if (!reader.TryPeek(out _) && !reader.Completion.IsCompleted) Monitor.Wait(_gate);
                Volatile.Write(ref _sleeping, 0);
            }
        }
    }

    private void Wake()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _sleeping) == 0) return;
        lock (_gate) Monitor.Pulse(_gate);
    }

    private void Drain(ChannelReader<WriteOp> reader, List<WriteOp> batch)
    {
        while (batch.Count < _maxBatch && reader.TryRead(out var op)) batch.Add(op);
    }

    private void CommitBatch(List<WriteOp> batch)
    {
        try
        {
            _session.Begin.ExecuteNonQuery();
            foreach (var op in batch) op.Apply(_session);
            _session.Commit.ExecuteNonQuery();
        }
        catch (Exception error)
        {
            TryRollback();
            if (batch.Count == 1)
            {
                batch[0].Fail(Translate(error));
                return;
            }
            // One bad write must not sink its neighbours: retry each alone.
            foreach (var op in batch) CommitAlone(op);
            return;
        }
        foreach (var op in batch) op.Complete();
    }

    private void CommitAlone(WriteOp op)
    {
        try
        {
            _session.Begin.ExecuteNonQuery();
            op.Apply(_session);
            _session.Commit.ExecuteNonQuery();
        }
        catch (Exception error)
        {
            TryRollback();
            op.Fail(Translate(error));
            return;
        }
        op.Complete();
    }

    private void TryRollback()
    {
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(_session.Connection.Handle) == 0) _session.Rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // The transaction is already gone (SQLite rolls back on some errors by itself).
        }
    }

    private Exception Translate(Exception error) => error switch
    {
        SqliteException se when SqliteSchema.IsCorruption(se) => SqliteSchema.Corrupted(_session.Path, se.Message, se),
        SqliteException { SqliteErrorCode: 13 } full => new StorageFullException(
            $"the disk of data file {_session.Path} is full ({full.Message}); the write was not stored, and writes go on once space is freed", full),
        _ => error,
    };

    /// <summary>Stops taking writes, commits those already queued, and waits for the thread.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        lock (_gate) Monitor.Pulse(_gate);
        _thread.Join();
    }
}
