using Microsoft.Data.Sqlite;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// One read connection with its statements prepared once. Used by one caller at a time
/// (rented from <see cref="SqliteReadPool"/>), so its buffers are reused without locks.
/// </summary>
internal sealed class SqliteReadSession : IDisposable
{
    public SqliteConnection Connection { get; }

    /// <summary>Scratch 16 bytes for binding a key hash (SQLite copies bound blobs).</summary>
    public byte[] HashBuffer { get; } = new byte[16];

    public SqliteCommand ReadKey { get; }
    public SqliteCommand ScanFirst { get; }
    public SqliteCommand ScanAfter { get; }
    public SqliteCommand ListHints { get; }
    public SqliteCommand CountHints { get; }
    public SqliteCommand ListQuarantine { get; }
    public SqliteCommand ListValueQuarantine { get; }
    public SqliteCommand GetMeta { get; }

    public SqliteReadSession(string path)
    {
        Connection = new SqliteConnection(SqliteSchema.ConnectionString(path, SqliteOpenMode.ReadWrite));
        Connection.Open();
        SqliteSchema.Execute(Connection, "PRAGMA query_only = 1;");
        ReadKey = Prepare(
            "SELECT blob, crc FROM kv WHERE partition_id = $p AND key_hash = $h AND bucket = $b AND key_name = $k;",
            "$p", "$h", "$b", "$k");
        ScanFirst = Prepare(
            "SELECT key_hash, bucket, key_name, blob, crc FROM kv WHERE partition_id = $p " +
            "ORDER BY key_hash, bucket, key_name LIMIT $n;",
            "$p", "$n");
        ScanAfter = Prepare(
            "SELECT key_hash, bucket, key_name, blob, crc FROM kv WHERE partition_id = $p AND (key_hash, bucket, key_name) > ($h, $b, $k) " +
            "ORDER BY key_hash, bucket, key_name LIMIT $n;",
            "$p", "$h", "$b", "$k", "$n");
        ListHints = Prepare(
            "SELECT id, partition_id, bucket, key_name, blob, created_at, crc FROM hints WHERE target = $t AND id > $after ORDER BY id LIMIT $n;",
            "$t", "$after", "$n");
        CountHints = Prepare("SELECT target, COUNT(*) FROM hints GROUP BY target;");
        ListQuarantine = Prepare(
            "SELECT id, target, partition_id, bucket, key_name, blob, created_at, reason, quarantined_at FROM hint_quarantine " +
            "WHERE id > $after ORDER BY id LIMIT $n;",
            "$after", "$n");
        ListValueQuarantine = Prepare(
            "SELECT id, partition_id, bucket, key_name, blob, reason, quarantined_at FROM value_quarantine WHERE id > $after ORDER BY id LIMIT $n;",
            "$after", "$n");
        GetMeta = Prepare("SELECT blob, crc FROM meta WHERE name = $name;", "$name");
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
        foreach (var cmd in new[] { ReadKey, ScanFirst, ScanAfter, ListHints, CountHints, ListQuarantine, ListValueQuarantine, GetMeta })
            cmd.Dispose();
        Connection.Dispose();
    }
}
