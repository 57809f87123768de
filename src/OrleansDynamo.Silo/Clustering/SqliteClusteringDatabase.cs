using System.Globalization;
using Microsoft.Data.Sqlite;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// The SQLite file shared by every silo and client of a cluster on one machine: it hands out
/// connections in WAL mode with a busy timeout (so processes queue for the write lock instead of
/// failing) and creates the tables once. Writers use <c>BEGIN IMMEDIATE</c>, so a compare-and-swap
/// reads and writes under one write lock; readers use a deferred transaction, one WAL snapshot.
/// Microsoft.Data.Sqlite is synchronous underneath, so every operation runs on the thread pool,
/// never on the caller's (Orleans') scheduler.
/// </summary>
public sealed class SqliteClusteringDatabase
{
    private const int MillisecondsPerSecond = 1000;

    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;

    /// <param name="path">The shared file; its directory is created if missing.</param>
    /// <param name="busyTimeout">How long a statement waits for another connection's lock.</param>
    public SqliteClusteringDatabase(string path, TimeSpan busyTimeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (busyTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(busyTimeout), busyTimeout, "must be positive");
        Path = System.IO.Path.GetFullPath(path);
        _busyTimeoutMs = (int)Math.Min(int.MaxValue, busyTimeout.TotalMilliseconds);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Microsoft.Data.Sqlite retries a busy statement for up to this many seconds.
            DefaultTimeout = Math.Max(1, (_busyTimeoutMs + MillisecondsPerSecond - 1) / MillisecondsPerSecond),
        }.ToString();
    }

    /// <summary>The full path of the shared file.</summary>
    public string Path { get; }

    /// <summary>A fresh etag: unique, so an etag once replaced never matches again.</summary>
    internal static string NewETag() => Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="work"/> on the thread pool in a read transaction (one consistent snapshot).</summary>
    internal Task<T> ReadAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken) =>
        RunAsync(work, deferred: true, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool in a <c>BEGIN IMMEDIATE</c> transaction, committed when it
    /// returns. Cancellation is honoured until the transaction begins; after that it runs to its end.
    /// </summary>
    internal Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken) =>
        RunAsync(work, deferred: false, cancellationToken);

    /// <summary>Creates the file and its tables if missing (idempotent; every operation does it first).</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default) => Task.Run(EnsureCreated, cancellationToken);

    private Task<T> RunAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, bool deferred, CancellationToken cancellationToken) => Task.Run(() =>
    {
        EnsureCreated();
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred);
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    }, cancellationToken);

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, null, $"PRAGMA busy_timeout = {_busyTimeoutMs.ToString(CultureInfo.InvariantCulture)}; PRAGMA synchronous = FULL;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void EnsureCreated()
    {
        if (_schemaReady) return;
        _schemaGate.Wait();
        try
        {
            if (_schemaReady) return;
            var directory = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            using var connection = Open();
            using (var mode = connection.CreateCommand())
            {
                mode.CommandText = "PRAGMA journal_mode = WAL;";
                var journalMode = Convert.ToString(mode.ExecuteScalar(), CultureInfo.InvariantCulture);
                if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"clustering file '{Path}': cannot switch to WAL mode (journal_mode is '{journalMode}'); is it on a file system without shared memory?");
            }
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                Execute(connection, transaction, SqliteClusteringSchema.Create);
                transaction.Commit();
            }
            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    internal static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }
}
