namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// Lets <see cref="WalCheckpointer"/> hold the group-commit writer between two batches while it runs a
/// checkpoint that needs SQLite's write lock (RESTART). The writer then waits here, in process, and
/// resumes the moment the checkpointer releases it. Without the gate the writer would meet
/// <c>SQLITE_BUSY</c>, which Microsoft.Data.Sqlite retries after sleeping 150 ms (measured: a 5 ms
/// lock held by another connection blocked <c>BEGIN IMMEDIATE</c> for 151–153 ms).
/// </summary>
/// <remarks>
/// The writer takes an uncontended lock twice per batch. A hold request makes the writer wait before
/// its next batch, so a busy writer cannot starve the checkpointer.
/// </remarks>
internal sealed class CommitGate
{
    private readonly object _lock = new();
    private bool _committing;
    private bool _wanted;
    private bool _held;

    /// <summary>Writer: before BEGIN. Waits while the checkpointer holds (or is about to hold) the gate.</summary>
    public void EnterCommit()
    {
        lock (_lock)
        {
            while (_held || _wanted) Monitor.Wait(_lock);
            _committing = true;
        }
    }

    /// <summary>Writer: after COMMIT (or rollback) of the batch.</summary>
    public void ExitCommit()
    {
        lock (_lock)
        {
            _committing = false;
            if (_wanted) Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Checkpointer: waits for the batch being committed, if any, and keeps the writer out until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _wanted = true;
            while (_committing) Monitor.Wait(_lock);
            _wanted = false;
            _held = true;
        }
    }

    /// <summary>Checkpointer: lets the writer commit again.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _held = false;
            Monitor.PulseAll(_lock);
        }
    }
}
