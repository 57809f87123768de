using Microsoft.Data.Sqlite;
using Orleans;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// Orleans' membership table in a SQLite file shared by the silos of one machine (in one process or
/// many). Orleans' contract, and how it is kept:
/// <list type="bullet">
/// <item><see cref="InsertRow"/> and <see cref="UpdateRow"/> are compare-and-swaps: inside one
/// <c>BEGIN IMMEDIATE</c> transaction (the file's single write lock) they check the table version's
/// etag (and, for an update, the row's etag), then write the row and the new table version with
/// fresh etags, or write nothing.</item>
/// <item>The table version never goes backwards: a write whose new version is not above the stored
/// one is refused even when its etag matches.</item>
/// <item><see cref="ReadAll"/> and <see cref="ReadRow"/> read rows and version in one transaction (one WAL snapshot).</item>
/// <item><see cref="UpdateIAmAlive"/> writes only the IAmAlive time, unchecked: no etag or version changes.</item>
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

    public async Task InitializeMembershipTable(bool tryInitTableVersion)
    {
        await _database.EnsureCreatedAsync();
        if (!tryInitTableVersion) return;
        await _database.WriteAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                $"INSERT OR IGNORE INTO {VersionTable} (cluster_id, version, etag) VALUES (@cluster_id, 0, @etag);");
            command.Parameters.AddWithValue("@etag", InitialVersionETag);
            return command.ExecuteNonQuery();
        });
    }

    public Task DeleteMembershipTableEntries(string clusterId)
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
        });
    }

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) =>
        _database.WriteAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                $"DELETE FROM {RowTable} WHERE cluster_id = @cluster_id AND status <> @active AND max(i_am_alive_time, start_time) < @before;");
            command.Parameters.AddWithValue("@active", (int)SiloStatus.Active);
            command.Parameters.AddWithValue("@before", beforeDate.UtcTicks);
            return command.ExecuteNonQuery();
        });

    public Task<MembershipTableData> ReadRow(SiloAddress key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _database.ReadAsync((connection, transaction) =>
        {
            var version = ReadVersion(connection, transaction);
            var rows = ReadRows(connection, transaction, key);
            return rows.Count == 0 ? new MembershipTableData(version) : new MembershipTableData(rows[0], version);
        });
    }

    public Task<MembershipTableData> ReadAll() =>
        _database.ReadAsync((connection, transaction) =>
        {
            var version = ReadVersion(connection, transaction);
            return new MembershipTableData(ReadRows(connection, transaction, null), version);
        });

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion)
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
        });
    }

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion)
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
        });
    }

    public Task UpdateIAmAlive(MembershipEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return _database.WriteAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                $"UPDATE {RowTable} SET i_am_alive_time = @i_am_alive_time WHERE cluster_id = @cluster_id AND silo_address = @silo_address;");
            command.Parameters.AddWithValue("@silo_address", MembershipRowFormat.Key(entry.SiloAddress));
            command.Parameters.AddWithValue("@i_am_alive_time", MembershipRowFormat.UtcTicks(entry.IAmAliveTime));
            return command.ExecuteNonQuery();
        });
    }

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
