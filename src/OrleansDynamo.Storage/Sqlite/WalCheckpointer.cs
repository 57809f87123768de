using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// Copies WAL pages back into <c>silo.db</c> on its own thread and connection, off the commit path,
/// and keeps the WAL file bounded. Measured here: checkpoints inside the commit path roughly halved
/// 64-writer throughput and tripled p99.
/// </summary>
/// <remarks>
/// <para>A round starts <see cref="SqliteStoreOptions.CheckpointInterval"/> after a commit, so one
/// checkpoint copies each hot page once, or at once when the writer sees the <c>-wal</c> file pass the
/// limit. It runs a PASSIVE checkpoint, which blocks neither the writer nor readers.</para>
/// <para>PASSIVE checkpoints alone never bound the WAL: SQLite writes the WAL from its beginning again only
/// when a write transaction starts while every frame is already copied and no reader uses an older
/// snapshot. Under steady writes and reads that almost never happens (7 GB of WAL next to a 1.46 GB
/// database after a 1,000,000-key preload), and every read and commit searches the big WAL index.
/// So when the WAL in use passes <see cref="SqliteStoreOptions.WalSizeLimitBytes"/>, the round catches up
/// with a few more PASSIVE passes (each copies what was committed during the last), then holds the
/// group-commit writer between two batches (<see cref="CommitGate"/>) and runs a RESTART checkpoint:
/// it copies the few frames left and succeeds once no reader uses an older snapshot. After a RESTART the
/// writer's next transaction writes the WAL from its beginning, and its <c>journal_size_limit</c> (the
/// same limit) truncates the file back to the limit.</para>
/// <para>Readers: a read connection holds a snapshot for one query only, so readers normally leave within
/// microseconds, and those that start once every frame is copied read the database file only. The
/// RESTART is retried for at most <see cref="SqliteStoreOptions.WalRestartTimeout"/>; if readers still
/// block it, the writer is released and the restart is tried again one interval later, so a restart holds
/// the writer at most once an interval. When the catch-up passes make no progress, a reader keeps old
/// frames in use (a long query): the round gives up without holding the writer and looks again one
/// interval later. While the backlog is still small a long reader can cost a few held attempts; then the
/// backlog passes <see cref="SmallBacklogFrames"/> and the catch-up passes see it.</para>
/// <para>Durability is unchanged: the writer still syncs the WAL at every commit in Full mode, and a
/// checkpoint syncs the WAL before copying and the database file after, as SQLite always does.</para>
/// <para>The writer keeps SQLite's own auto-checkpoint at <see cref="SqliteStoreOptions.WalAutoCheckpointPages"/>
/// as a backstop; it then finds little left to copy.</para>
/// </remarks>
internal sealed class WalCheckpointer : IDisposable
{
    private const int Passive = raw.SQLITE_CHECKPOINT_PASSIVE;
    private const int Restart = raw.SQLITE_CHECKPOINT_RESTART;

    /// <summary>WAL header bytes before the first frame; each frame is a 24-byte header and one page.</summary>
    private const int WalHeaderBytes = 32, FrameHeaderBytes = 24;

    /// <summary>
    /// Extra PASSIVE passes before a restart, and the backlog (uncopied frames, 1 MiB of 4 KiB pages) below
    /// which they stop: whatever is left is copied while the writer is held, so it should be small.
    /// </summary>
    private const int CatchUpPasses = 3, SmallBacklogFrames = 256;

    /// <summary>The writer looks at the <c>-wal</c> file's size at most once a millisecond.</summary>
    private static readonly long SizeCheckTicks = Stopwatch.Frequency / 1000;

    private readonly SqliteConnection _connection;
    private readonly TimeSpan _interval;
    private readonly long _sizeLimitBytes;
    private readonly TimeSpan _restartTimeout;
    private readonly long _frameBytes;
    private readonly string _walPath;
    private readonly AutoResetEvent _signal = new(false);
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _dirty;
    private long _checkpoints;
    private long _restarts;
    private long _restartsBlocked;
    private long _longestHoldTicks;
    private long _totalHoldTicks;
    private long _lastSizeCheck;
    private long _wakeAbove;
    private long _wakeNotBefore;

    public WalCheckpointer(string path, SqliteStoreOptions options)
    {
        _interval = options.CheckpointInterval;
        _sizeLimitBytes = options.WalSizeLimitBytes;
        _restartTimeout = options.WalRestartTimeout;
        _walPath = path + "-wal";
        _connection = new SqliteConnection(SqliteSchema.ConnectionString(path, SqliteOpenMode.ReadWrite));
        _connection.Open();
        SqliteSchema.Execute(_connection, $"PRAGMA synchronous = {(options.Durability == DurabilityMode.Full ? "FULL" : "NORMAL")};");
        // Never wait inside SQLite: a blocked checkpoint returns SQLITE_BUSY at once and TryRestart decides.
        SqliteSchema.Execute(_connection, "PRAGMA busy_timeout = 0;");
        _frameBytes = SqliteSchema.Scalar(_connection, "PRAGMA page_size;") + FrameHeaderBytes;
        _thread = new Thread(Run) { IsBackground = true, Name = "sqlite-checkpoint" };
        _thread.Start();
    }

    /// <summary>The writer passes this gate around every batch, so a RESTART can hold it between two.</summary>
    public CommitGate Gate { get; } = new();

    /// <summary>What the checkpointer has done so far.</summary>
    public WalCheckpointStats Stats => new(
        Interlocked.Read(ref _checkpoints),
        Interlocked.Read(ref _restarts),
        Interlocked.Read(ref _restartsBlocked),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longestHoldTicks)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _totalHoldTicks)));

    /// <summary>
    /// Called by the writer after each commit. Schedules a round; when the <c>-wal</c> file has grown past
    /// the limit (one <c>stat</c>, at most once a millisecond), the round starts at once instead of after the
    /// interval. After a restart and its first commit the file is truncated back to the limit, so it grows
    /// past it only when the WAL in use does.
    /// </summary>
    public void NotifyCommit()
    {
        if (Interlocked.Exchange(ref _dirty, 1) == 0) _signal.Set();
        long now = Stopwatch.GetTimestamp();
        if (now - _lastSizeCheck < SizeCheckTicks || now < Volatile.Read(ref _wakeNotBefore)) return;
        _lastSizeCheck = now;
        if (WalFileBytes() > Math.Max(_sizeLimitBytes, Volatile.Read(ref _wakeAbove))) _wake.Set();
    }

    private long WalFileBytes()
    {
        var wal = new FileInfo(_walPath);
        return wal.Exists ? wal.Length : 0;
    }

    private void Run()
    {
        while (true)
        {
            _signal.WaitOne();
            if (_stopping) return;
            // Let commits accumulate so one checkpoint copies each hot page once; a stop, or the WAL
            // passing its limit, ends the wait at once.
            _wake.Wait(_interval);
            if (_stopping) return;
            Volatile.Write(ref _dirty, 0);
            Round();
            _wake.Reset(); // a wake-up seen during the round is stale; the next commit past the limit sets it again
        }
    }

    /// <summary>
    /// One PASSIVE checkpoint; past the size limit, catch-up passes and a RESTART. A failed checkpoint
    /// loses nothing: the pages stay in the WAL and a later round copies them.
    /// </summary>
    private void Round()
    {
        int rc = Checkpoint(Passive, out int log, out int copied);
        Interlocked.Increment(ref _checkpoints);
        if (rc != raw.SQLITE_OK) return;
        if (WalBytes(log) <= _sizeLimitBytes)
        {
            // The file can be longer than the WAL in use (a transaction bigger than the limit right after a
            // restart): wake early again only once it grows past its current size.
            Volatile.Write(ref _wakeAbove, WalFileBytes());
            return;
        }
        for (int pass = 0; pass < CatchUpPasses && log - copied > SmallBacklogFrames; pass++)
        {
            int before = copied;
            if (Checkpoint(Passive, out log, out copied) != raw.SQLITE_OK) return;
            if (copied == before)
            {
                // A reader keeps older frames in use: a restart would block too, after copying a big
                // backlog while holding the writer. Nobody was held, so look again next interval.
                Blocked();
                return;
            }
        }
        // The writer restarts the WAL by itself when it starts a transaction with everything copied and
        // no reader on an older snapshot; then there is nothing left to do.
        if (WalBytes(log) <= _sizeLimitBytes) return;
        if (TryRestart())
        {
            Interlocked.Increment(ref _restarts);
            Volatile.Write(ref _wakeAbove, 0);
        }
        else
        {
            Blocked();
        }
    }

    /// <summary>
    /// A reader still uses an old snapshot. Look again one interval later, not sooner: the writer does not
    /// wake the checkpointer early before then, so a restart holds the writer at most once an interval.
    /// </summary>
    private void Blocked()
    {
        Interlocked.Increment(ref _restartsBlocked);
        Volatile.Write(ref _wakeNotBefore, Stopwatch.GetTimestamp() + (long)(_interval.TotalSeconds * Stopwatch.Frequency));
        ScheduleRound();
    }

    /// <summary>A round one interval from now, even if no commit comes.</summary>
    private void ScheduleRound()
    {
        if (Interlocked.Exchange(ref _dirty, 1) == 0) _signal.Set();
    }

    /// <summary>
    /// Holds the writer between batches and runs RESTART until it succeeds or, once every frame is copied,
    /// <see cref="SqliteStoreOptions.WalRestartTimeout"/> has passed. With the writer held, SQLite's write lock
    /// is free. The first attempt copies what was committed since the last PASSIVE pass (a sync of the WAL
    /// and one of the database file, like one commit), or the part no reader still uses; later attempts copy
    /// the rest, then only check whether readers still use an older snapshot. Readers that start once
    /// everything is copied read the database file only and do not block it, so those left finish their one
    /// query and the restart succeeds.
    /// </summary>
    private bool TryRestart()
    {
        Gate.Hold();
        long held = Stopwatch.GetTimestamp();
        try
        {
            int rc = Checkpoint(Restart, out int log, out int copied);
            if (rc == raw.SQLITE_BUSY && WalBytes(log) <= _sizeLimitBytes) return true; // the writer restarted it meanwhile
            long waitFrom = Stopwatch.GetTimestamp();
            // Spin briefly, then sleep 1 ms at a time: a reader that blocks for longer is a thread waiting for
            // a CPU (descheduled mid-query), and on an oversubscribed machine spinning would take that CPU from it.
            var spin = new SpinWait();
            while (rc == raw.SQLITE_BUSY && Stopwatch.GetElapsedTime(waitFrom) < _restartTimeout)
            {
                spin.SpinOnce();
                int before = copied;
                rc = Checkpoint(Restart, out _, out copied);
                // This attempt copied frames a reader had kept in use (with their syncs); readers that started
                // meanwhile get the whole wait again. Bounded: with the writer held, nothing new arrives to copy.
                if (copied != before) waitFrom = Stopwatch.GetTimestamp();
            }
            return rc == raw.SQLITE_OK;
        }
        finally
        {
            Gate.Release();
            long ticks = Stopwatch.GetTimestamp() - held;
            Interlocked.Add(ref _totalHoldTicks, ticks);
            if (ticks > Interlocked.Read(ref _longestHoldTicks)) Interlocked.Exchange(ref _longestHoldTicks, ticks);
        }
    }

    /// <summary>
    /// Calls <c>sqlite3_wal_checkpoint_v2</c> directly: it reports SQLITE_BUSY instead of retrying, and
    /// gives the frames in the WAL (<paramref name="log"/>) and those copied so far (<paramref name="copied"/>).
    /// </summary>
    private int Checkpoint(int mode, out int log, out int copied) =>
        raw.sqlite3_wal_checkpoint_v2(_connection.Handle, "main", mode, out log, out copied);

    private long WalBytes(int frames) => WalHeaderBytes + frames * _frameBytes;

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _signal.Set();
        _thread.Join();
        _connection.Dispose();
        _signal.Dispose();
        _wake.Dispose();
    }
}
