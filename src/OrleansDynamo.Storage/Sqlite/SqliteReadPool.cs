using System.Collections.Concurrent;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// A fixed number of read connections (WAL lets them read while the writer commits). A caller
/// rents one for a single query; when all are busy it waits.
/// </summary>
internal sealed class SqliteReadPool : IDisposable
{
    private readonly string _path;
    private readonly SemaphoreSlim _gate;
    private readonly ConcurrentStack<SqliteReadSession> _idle = new();
    private readonly ConcurrentBag<SqliteReadSession> _all = [];

    public SqliteReadPool(string path, int size)
    {
        _path = path;
        _gate = new SemaphoreSlim(size, size);
    }

    /// <summary>Runs <paramref name="query"/> on a free connection.</summary>
    public async ValueTask<T> RunAsync<TState, T>(TState state, Func<SqliteReadSession, TState, T> query, CancellationToken cancellationToken)
    {
        if (!_gate.Wait(0)) await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var session = Take();
            try
            {
                return query(session, state);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (SqliteSchema.IsCorruption(e))
            {
                throw SqliteSchema.Corrupted(_path, e.Message, e);
            }
            finally
            {
                _idle.Push(session);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private SqliteReadSession Take()
    {
        if (_idle.TryPop(out var session)) return session;
        session = new SqliteReadSession(_path);
        _all.Add(session);
        return session;
    }

    public void Dispose()
    {
        foreach (var s in _all) s.Dispose();
        _gate.Dispose();
    }
}
