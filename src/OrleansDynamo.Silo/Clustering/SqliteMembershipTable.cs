using Microsoft.Data.Sqlite;
using Orleans;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// Orleans' membership table in a SQLite file shared by the silos of one machine (in one process or
/// many). Orleans' contract, and how it is kept:
/// <list type="bullet">
/// <item><see cref="InsertRowAsync"/> and <see cref="UpdateRowAsync"/> are compare-and-swaps: inside one
/// <c>BEGIN IMMEDIATE</c> transaction (the file's single write lock) they check the table version's
/// etag (and, for an update, the row's etag), then write the row and the new table version with
/// fresh etags, or write nothing.</item>
/// <item>The table version never goes backwards: a write whose new version is not above the stored
/// one is refused even when its etag matches.</item>
/// <item><see cref="ReadAllAsync"/> and <see cref="ReadRowAsync"/> read rows and version in one transaction (one WAL snapshot).</item>
/// <item><see cref="UpdateIAmAliveAsync"/> writes only the IAmAlive time, unchecked: no etag or version
/// changes, so a swap prepared before a heartbeat still applies (the row etag is heartbeat-neutral, as
/// Orleans 10.4 asks).</item>
/// <item><see cref="CleanupDefunctSiloEntriesAsync"/> deletes only Dead rows not updated since the cutoff.</item>
/// </list>
/// Rows are kept per cluster id, so several clusters can share one file.
/// </summary>
public sealed class SqliteMembershipTable : IMembershipTable
{
    /// <summary>The version of a cluster that has no version row yet (before the first silo initialises the table).</summary>
    internal const string InitialVersionETag = "0";

    private const string VersionTable = SqliteClusteringSchema.MembershipVersionTable;
    private const string RowTable = SqliteClusteringSchema.MembershipTable;

    private readonly SqliteClusteringDatabase _database;
    private readonly string _clusterId;

    public SqliteMembershipTable(SqliteClusteringDatabase database, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        _database = database;
        _clusterId = clusterId;
    }

    public async Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken = default)
    {
        await _database.EnsureCreatedAsync(cancellationToken);
        if (!tryInitTableVersion) return;
        await _database.WriteAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                $"INSERT OR IGNORE INTO {VersionTable} (cluster_id, version, etag) VALUES (@cluster_id, 0, @etag);");
            command.Parameters.AddWithValue("@etag", InitialVersionETag);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    public Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        return _database.WriteAsync((connection, transaction) =>
        {
            using (var delete = Command(connection, transaction, $"DELETE FROM {RowTable} WHERE cluster_id = @cluster_id;", clusterId))
                delete.ExecuteNonQuery();
            // The version row stays and moves on: a version never goes backwards, and every swap
            // prepared against the deleted rows now fails on the version etag.
            using var bump = Command(connection, transaction,
                $"UPDATE {VersionTable} SET version = version + 1, etag = @etag WHERE cluster_id = @cluster_id;", clusterId);
            bump.Parameters.AddWithValue("@etag", SqliteClusteringDatabase.NewETag());
            return bump.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes the Dead rows whose last known update (<see cref="MembershipEntry.EffectiveUpdateTime"/>: the
    /// latest of start, IAmAlive and suspect votes) is before <paramref name="beforeDate"/>, as Orleans 10.4
    /// defines it; rows of any other status stay. The table version is not changed.
    /// </summary>
    public Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken = default) =>
        _database.WriteAsync((connection, transaction) =>
        {
            var before = beforeDate.UtcTicks;
            var candidates = new List<Tuple<MembershipEntry, string>>();
            using (var select = Command(connection, transaction,
                $"SELECT {MembershipRowFormat.Columns} FROM {RowTable} WHERE cluster_id = @cluster_id AND status = @dead AND max(i_am_alive_time, start_time) < @before;"))
            {
                select.Parameters.AddWithValue("@dead", (int)SiloStatus.Dead);
                select.Parameters.AddWithValue("@before", before);
                using var reader = select.ExecuteReader();
                while (reader.Read()) candidates.Add(MembershipRowFormat.Read(reader, _database.Path));
            }
            var deleted = 0;
            foreach (var (entry, _) in candidates)
            {
                if (entry.SuspectTimes?.Any(vote => MembershipRowFormat.UtcTicks(vote.Item2) >= before) == true) continue; // declared dead recently
                using var delete = Command(connection, transaction, $"DELETE FROM {RowTable} WHERE cluster_id = @cluster_id AND silo_address = @silo_address;");
                delete.Parameters.AddWithValue("@silo_address", MembershipRowFormat.Key(entry.SiloAddress));
                deleted += delete.ExecuteNonQuery();
            }
            return deleted;
        }, cancellationToken);

    public Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _database.ReadAsync((connection, transaction) =>
        {
            var version = ReadVersion(connection, transaction);
            var rows = ReadRows(connection, transaction, key);
            return rows.Count == 0 ? new MembershipTableData(version) : new MembershipTableData(rows[0], version);
        }, cancellationToken);
    }

    public Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync((connection, transaction) =>
        {
            var version = ReadVersion(connection, transaction);
            return new MembershipTableData(ReadRows(connection, transaction, null), version);
        }, cancellationToken);

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        return _database.WriteAsync((connection, transaction) =>
        {
            if (!VersionMatches(connection, transaction, tableVersion)) return false;
            using (var insert = Command(connection, transaction,
                $"INSERT OR IGNORE INTO {RowTable} (cluster_id, {MembershipRowFormat.Columns}) VALUES (@cluster_id, {MembershipRowFormat.InsertValues});"))
            {
                MembershipRowFormat.Bind(insert, entry, SqliteClusteringDatabase.NewETag());
                if (insert.ExecuteNonQuery() == 0) return false; // the silo already has a row; nothing was written
            }
            WriteVersion(connection, transaction, tableVersion.Version);
            return true;
        }, cancellationToken);
    }

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(etag);
        ArgumentNullException.ThrowIfNull(tableVersion);
        return _database.WriteAsync((connection, transaction) =>
        {
            if (!VersionMatches(connection, transaction, tableVersion)) return false;
            using (var update = Command(connection, transaction,
                $"UPDATE {RowTable} SET {MembershipRowFormat.UpdateAssignments} WHERE cluster_id = @cluster_id AND silo_address = @silo_address AND etag = @expected_etag;"))
            {
                MembershipRowFormat.Bind(update, entry, SqliteClusteringDatabase.NewETag());
                update.Parameters.AddWithValue("@expected_etag", etag);
                if (update.ExecuteNonQuery() == 0) return false; // no such row, or its etag moved on; nothing was written
            }
            WriteVersion(connection, transaction, tableVersion.Version);
            return true;
        }, cancellationToken);
    }

    /// <summary>Writes the IAmAlive time only: no etag (row or table) changes, so swaps prepared before it still apply.</summary>
    public Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return _database.WriteAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                $"UPDATE {RowTable} SET i_am_alive_time = @i_am_alive_time WHERE cluster_id = @cluster_id AND silo_address = @silo_address;");
            command.Parameters.AddWithValue("@silo_address", MembershipRowFormat.Key(entry.SiloAddress));
            command.Parameters.AddWithValue("@i_am_alive_time", MembershipRowFormat.UtcTicks(entry.IAmAliveTime));
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    [Obsolete("Use InitializeMembershipTableAsync instead.")]
    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion);

    [Obsolete("Use DeleteMembershipTableEntriesAsync instead.")]
    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId);

    [Obsolete("Use CleanupDefunctSiloEntriesAsync instead.")]
    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate);

    [Obsolete("Use ReadRowAsync instead.")]
    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key);

    [Obsolete("Use ReadAllAsync instead.")]
    public Task<MembershipTableData> ReadAll() => ReadAllAsync();

    [Obsolete("Use InsertRowAsync instead.")]
    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion);

    [Obsolete("Use UpdateRowAsync instead.")]
    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion);

    [Obsolete("Use UpdateIAmAliveAsync instead.")]
    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry);

    private SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, string? clusterId = null)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("@cluster_id", clusterId ?? _clusterId);
        return command;
    }

    private TableVersion ReadVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = Command(connection, transaction, $"SELECT version, etag FROM {VersionTable} WHERE cluster_id = @cluster_id;");
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new TableVersion(checked((int)reader.GetInt64(0)), reader.GetString(1))
            : new TableVersion(0, InitialVersionETag);
    }

    /// <summary>The compare half of a swap: the caller read the current version (same etag) and proposes a later one.</summary>
    private bool VersionMatches(SqliteConnection connection, SqliteTransaction transaction, TableVersion proposed)
    {
        var current = ReadVersion(connection, transaction);
        return string.Equals(current.VersionEtag, proposed.VersionEtag, StringComparison.Ordinal)
            && proposed.Version > current.Version;
    }

    private void WriteVersion(SqliteConnection connection, SqliteTransaction transaction, int version)
    {
        using var command = Command(connection, transaction,
            $"INSERT INTO {VersionTable} (cluster_id, version, etag) VALUES (@cluster_id, @version, @etag) "
            + "ON CONFLICT (cluster_id) DO UPDATE SET version = excluded.version, etag = excluded.etag;");
        command.Parameters.AddWithValue("@version", version);
        command.Parameters.AddWithValue("@etag", SqliteClusteringDatabase.NewETag());
        command.ExecuteNonQuery();
    }

    private List<Tuple<MembershipEntry, string>> ReadRows(SqliteConnection connection, SqliteTransaction transaction, SiloAddress? key)
    {
        var sql = $"SELECT {MembershipRowFormat.Columns} FROM {RowTable} WHERE cluster_id = @cluster_id"
            + (key is null ? ";" : " AND silo_address = @silo_address;");
        using var command = Command(connection, transaction, sql);
        if (key is not null) command.Parameters.AddWithValue("@silo_address", MembershipRowFormat.Key(key));
        using var reader = command.ExecuteReader();
        var rows = new List<Tuple<MembershipEntry, string>>();
        while (reader.Read()) rows.Add(MembershipRowFormat.Read(reader, _database.Path));
        return rows;
    }
}
