using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// Group commit: one dedicated thread takes every write queued (up to <see cref="SqliteStoreOptions.MaxBatchSize"/>,
/// optionally waiting <see cref="SqliteStoreOptions.GroupCommitWindow"/> for more), applies them in one
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
        return op.Task;
    }

    private void Run()
    {
        var batch = new List<WriteOp>(_maxBatch);
        var reader = _queue.Reader;
        while (WaitToRead(reader))
        {
            Drain(reader, batch);
            if (_windowTicks > 0 && batch.Count < _maxBatch)
            {
                long deadline = Stopwatch.GetTimestamp() + _windowTicks;
                var spin = new SpinWait();
                while (batch.Count < _maxBatch && Stopwatch.GetTimestamp() < deadline)
                {
                    if (!reader.TryPeek(out _)) spin.SpinOnce(sleep1Threshold: -1);
                    Drain(reader, batch);
                }
            }
            CommitBatch(batch);
            _checkpointer?.NotifyCommit();
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _writes, batch.Count);
            batch.Clear();
        }
    }

    private static bool WaitToRead(ChannelReader<WriteOp> reader)
    {
        var wait = reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
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

    private Exception Translate(Exception error) =>
        error is SqliteException se && SqliteSchema.IsCorruption(se) ? SqliteSchema.Corrupted(_session.Path, se.Message, se) : error;

    /// <summary>Stops taking writes, commits those already queued, and waits for the thread.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join();
    }
}
