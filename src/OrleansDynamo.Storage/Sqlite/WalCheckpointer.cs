using Microsoft.Data.Sqlite;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// Copies WAL pages back into <c>silo.db</c> on its own thread and connection (a PASSIVE checkpoint
/// never blocks the writer or readers), so commits only append to the WAL. Measured here: checkpoints
/// inside the commit path roughly halved 64-writer throughput and tripled p99. The writer keeps
/// SQLite's own auto-checkpoint at <see cref="SqliteStoreOptions.WalAutoCheckpointPages"/> as a backstop,
/// which then finds little left to copy and lets the WAL restart from its beginning.
/// </summary>
internal sealed class WalCheckpointer : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly TimeSpan _interval;
    private readonly AutoResetEvent _signal = new(false);
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _dirty;
    private long _checkpoints;

    public WalCheckpointer(string path, DurabilityMode durability, TimeSpan interval)
    {
        _interval = interval;
        _connection = new SqliteConnection(SqliteSchema.ConnectionString(path, SqliteOpenMode.ReadWrite));
        _connection.Open();
        SqliteSchema.Execute(_connection, $"PRAGMA synchronous = {(durability == DurabilityMode.Full ? "FULL" : "NORMAL")};");
        _thread = new Thread(Run) { IsBackground = true, Name = "sqlite-checkpoint" };
        _thread.Start();
    }

    /// <summary>Checkpoints run so far.</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>Called by the writer after each commit; cheap when a checkpoint is already due.</summary>
    public void NotifyCommit()
    {
        if (Interlocked.Exchange(ref _dirty, 1) == 0) _signal.Set();
    }

    private void Run()
    {
        while (true)
        {
            _signal.WaitOne();
            if (_stopping) return;
            // Let commits accumulate so one checkpoint copies each hot page once; a stop ends the wait at once.
            if (_stop.Wait(_interval) || _stopping) return;
            Volatile.Write(ref _dirty, 0);
            try
            {
                SqliteSchema.Execute(_connection, "PRAGMA wal_checkpoint(PASSIVE);");
                Interlocked.Increment(ref _checkpoints);
            }
            catch (SqliteException)
            {
                // A failed checkpoint loses nothing: the pages stay in the WAL and the next one retries.
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _stop.Set();
        _signal.Set();
        _thread.Join();
        _connection.Dispose();
        _signal.Dispose();
        _stop.Dispose();
    }
}
