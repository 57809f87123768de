using Microsoft.Data.Sqlite;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// The one write connection and its prepared statements. Used only by the group-commit thread,
/// so nothing here is synchronized.
/// </summary>
internal sealed class SqliteWriteSession : IDisposable
{
    public SqliteConnection Connection { get; }
    public string Path { get; }

    public SqliteCommand Begin { get; }
    public SqliteCommand Commit { get; }
    public SqliteCommand Rollback { get; }
    public SqliteCommand Upsert { get; }
    public SqliteCommand SelectForRemove { get; }
    public SqliteCommand SelectBytes { get; }
    public SqliteCommand SelectForQuarantine { get; }
    public SqliteCommand QuarantineValue { get; }
    public SqliteCommand InsertQuarantinedValue { get; }
    public SqliteCommand DeleteKey { get; }
    public SqliteCommand DropPartition { get; }
    public SqliteCommand InsertHint { get; }
    public SqliteCommand DeleteHint { get; }
    public SqliteCommand QuarantineHint { get; }
    public SqliteCommand UpsertMeta { get; }
    public SqliteCommand DeleteMeta { get; }

    public SqliteWriteSession(SqliteConnection connection, string path)
    {
        Connection = connection;
        Path = path;
        Begin = Prepare("BEGIN IMMEDIATE;");
        Commit = Prepare("COMMIT;");
        Rollback = Prepare("ROLLBACK;");
        Upsert = Prepare(
            "INSERT INTO kv (partition_id, key_hash, bucket, key_name, blob, bytes, crc) VALUES ($p, $h, $b, $k, $v, $n, $c) " +
            "ON CONFLICT (partition_id, key_hash, bucket, key_name) DO UPDATE SET blob = excluded.blob, bytes = excluded.bytes, crc = excluded.crc;",
            "$p", "$h", "$b", "$k", "$v", "$n", "$c");
        SelectForRemove = Prepare(
            "SELECT blob, crc FROM kv WHERE partition_id = $p AND key_hash = $h AND bucket = $b AND key_name = $k;",
            "$p", "$h", "$b", "$k");
        SelectBytes = Prepare(
            "SELECT bytes FROM kv WHERE partition_id = $p AND key_hash = $h AND bucket = $b AND key_name = $k;",
            "$p", "$h", "$b", "$k");
        SelectForQuarantine = Prepare(
            "SELECT blob, crc, bytes FROM kv WHERE partition_id = $p AND key_hash = $h AND bucket = $b AND key_name = $k;",
            "$p", "$h", "$b", "$k");
        QuarantineValue = Prepare(
            "INSERT INTO value_quarantine (partition_id, key_hash, bucket, key_name, blob, bytes, crc, reason, quarantined_at) " +
            "SELECT partition_id, key_hash, bucket, key_name, blob, bytes, crc, $reason, $at FROM kv " +
            "WHERE partition_id = $p AND key_hash = $h AND bucket = $b AND key_name = $k RETURNING id;",
            "$p", "$h", "$b", "$k", "$reason", "$at");
        InsertQuarantinedValue = Prepare(
            "INSERT INTO value_quarantine (partition_id, key_hash, bucket, key_name, blob, bytes, crc, reason, quarantined_at) " +
            "VALUES ($p, $h, $b, $k, $v, $n, $c, $reason, $at) RETURNING id;",
            "$p", "$h", "$b", "$k", "$v", "$n", "$c", "$reason", "$at");
        DeleteKey = Prepare(
            "DELETE FROM kv WHERE partition_id = $p AND key_hash = $h AND bucket = $b AND key_name = $k;",
            "$p", "$h", "$b", "$k");
        DropPartition = Prepare("DELETE FROM kv WHERE partition_id = $p;", "$p");
        InsertHint = Prepare(
            "INSERT INTO hints (target, partition_id, bucket, key_name, blob, created_at, crc) VALUES ($t, $p, $b, $k, $v, $at, $c) RETURNING id;",
            "$t", "$p", "$b", "$k", "$v", "$at", "$c");
        DeleteHint = Prepare("DELETE FROM hints WHERE id = $id;", "$id");
        QuarantineHint = Prepare(
            "INSERT OR REPLACE INTO hint_quarantine (id, target, partition_id, bucket, key_name, blob, created_at, crc, reason, quarantined_at) " +
            "SELECT id, target, partition_id, bucket, key_name, blob, created_at, crc, $reason, $at FROM hints WHERE id = $id;",
            "$id", "$reason", "$at");
        UpsertMeta = Prepare(
            "INSERT INTO meta (name, blob, crc) VALUES ($name, $v, $c) ON CONFLICT (name) DO UPDATE SET blob = excluded.blob, crc = excluded.crc;",
            "$name", "$v", "$c");
        DeleteMeta = Prepare("DELETE FROM meta WHERE name = $name;", "$name");
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var p in parameters) cmd.Parameters.Add(new SqliteParameter { ParameterName = p });
        return cmd;
    }

    public void Dispose()
    {
        foreach (var cmd in new[] { Begin, Commit, Rollback, Upsert, SelectForRemove, SelectBytes, SelectForQuarantine, QuarantineValue, InsertQuarantinedValue, DeleteKey, DropPartition, InsertHint, DeleteHint, QuarantineHint, UpsertMeta, DeleteMeta })
            cmd.Dispose();
        Connection.Dispose();
    }
}
